/**
 * Property tests: long random runs (20-50 messages of random QoS) of the same model the
 * exhaustive check explores (model/world.ts holds every assertion), with random connection cuts
 * and resumes, v5 refusals, and a misbehaving peer injecting duplicates and acknowledgements for
 * unknown ids (model/random-run.ts lists exactly what is injected and why that is fair).
 * The sender's PacketIdAllocator is narrowed to 2-5 usable ids, so ids are reused constantly.
 */
import test from 'ava'
import fc from 'fast-check'
import type { QoS } from '../../lib/protocol/packets.js'
import { receiverDeliveringQos2Duplicates, senderDroppingQos1OnConnectionLost } from './model/mutants.js'
import { runRandom, type Command, type InjectKind, type RunSpec } from './model/random-run.js'
import { Violation } from './model/world.js'

const qosArb = fc.constantFrom<QoS>(0, 1, 2)
const refusalArb = fc.constantFrom(0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99)

const commandArb = (withInjections: boolean): fc.Arbitrary<Command> => {
  const arbs: Array<fc.WeightedArbitrary<Command>> = [
    { weight: 24, arbitrary: fc.nat(1000).map(n => ({ t: 'step' as const, n })) },
    { weight: 2, arbitrary: fc.constant({ t: 'cut' as const }) }
  ]
  if (withInjections) {
    arbs.push({
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant('inject' as const),
        kind: fc.constantFrom<InjectKind>('dupPublish', 'dupPubrel', 'dupPubrec', 'unknownAck', 'unknownPubrel'),
        n: fc.nat(1000),
        code: fc.constantFrom(0x00, 0x10, 0x80, 0x87, 0x92, 0x97)
      })
    })
  }
  return fc.oneof(...arbs)
}

interface Case { readonly spec: RunSpec, readonly commands: readonly Command[] }

const caseArb = (opts: { refusals: boolean, injections: boolean }): fc.Arbitrary<Case> =>
  fc.record({
    qos: fc.array(qosArb, { minLength: 20, maxLength: 50 }),
    ids: fc.integer({ min: 2, max: 5 }),
    refusals: opts.refusals ? fc.array(fc.tuple(fc.nat(49), refusalArb), { maxLength: 10 }) : fc.constant<Array<[number, number]>>([]),
    commands: fc.array(commandArb(opts.injections), { minLength: 200, maxLength: 1500 })
  }).map(({ qos, ids, refusals, commands }) => {
    const refuse = new Map(refusals.filter(([n]) => (qos[n] ?? 0) > 0))
    return { spec: refuse.size > 0 ? { qos, ids, refuse } : { qos, ids }, commands }
  })

const stats = { runs: 0, steps: 0, breaks: 0, injected: 0 }

/** Runs a case and turns a Violation into a failed property with its message. */
function holds ({ spec, commands }: Case): boolean {
  const report = runRandom(spec, commands)
  stats.runs++
  stats.steps += report.steps
  stats.breaks += report.breaks
  stats.injected += report.injected
  return true
}

test('v3.1.1 [MQTT-4.3.1-1] [MQTT-4.3.2-1] [MQTT-4.3.3-2] [MQTT-4.4.0-1] [MQTT-4.6.0-1] v5 [MQTT-4.3.2-3] [MQTT-4.3.3-6] [MQTT-4.3.3-10] [MQTT-4.3.3-12] [MQTT-4.4.0-1] [MQTT-4.6.0-1] random runs of 20-50 messages with connection cuts and resumes: QoS 0 at most once, QoS 1 at least once, QoS 2 exactly once, in order', t => {
  fc.assert(fc.property(caseArb({ refusals: false, injections: false }), holds), { numRuns: 150 })
  t.pass()
})

test('v5 [MQTT-4.4.0-2] [MQTT-4.3.3-9] [MQTT-4.3.2-4] random runs with refusals: refused messages are never delivered nor resent and end refused; the others keep their guarantees', t => {
  fc.assert(fc.property(caseArb({ refusals: true, injections: false }), holds), { numRuns: 100 })
  t.pass()
})

test('v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-10] [MQTT-4.3.3-4] [MQTT-4.3.3-11] [MQTT-2.2.1-5] random runs against a misbehaving peer (duplicate PUBLISH/PUBREL/PUBREC, acks for unknown ids): guarantees hold, unknown acks are ignored or answered 0x92', t => {
  fc.assert(fc.property(caseArb({ refusals: true, injections: true }), holds), { numRuns: 150 })
  t.log(`property runs so far: ${stats.runs} runs, ${stats.steps} steps, ${stats.breaks} connection cuts, ${stats.injected} injected packets`)
  t.true(stats.injected > 0, 'the generator does inject packets')
})

// --- The same properties catch broken machines -------------------------------------------------

function failsWith (spec: Partial<RunSpec>, kinds: readonly string[]): (t: import('ava').ExecutionContext) => void {
  return t => {
    const result = fc.check(fc.property(caseArb({ refusals: false, injections: false }), c => holds({ spec: { ...c.spec, ...spec }, commands: c.commands })), { numRuns: 200 })
    t.true(result.failed, 'fast-check must find a failing run')
    const error = result.errorInstance
    t.true(error instanceof Violation, String(error))
    if (error instanceof Violation) {
      t.true(kinds.includes(error.kind), error.message)
      t.log(`counterexample found after ${result.numRuns} runs (shrunk ${result.numShrinks} times): ${error.message}`)
    }
  }
}

test('v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-10] the random runs catch a receiver that delivers repeated QoS 2 PUBLISH packets',
  failsWith({ receiver: receiverDeliveringQos2Duplicates }, ['qos2-duplicate']))

test('v3.1.1 [MQTT-4.3.2-1] v5 [MQTT-4.3.2-3] [MQTT-4.4.0-1] the random runs catch a sender that drops QoS 1 flows on connection loss',
  failsWith({ sender: senderDroppingQos1OnConnectionLost }, ['persist-forget', 'qos1-lost']))
