/**
 * Bounded exhaustive model check of the delivery guarantees (see model/world.ts for the model
 * and the full list of assertions, model/checker.ts for the search). Every interleaving of
 * "start the next message", "deliver the head packet of either FIFO channel", "break the
 * connection" (at most `maxBreaks` times) and "reconnect, resuming the session" is explored.
 *
 * The sender's ids come from the real PacketIdAllocator narrowed to 2 or 3 usable ids, so the
 * later messages of each run reuse ids of earlier ones (model/id-source.ts).
 *
 * The second half plugs deliberately broken machines into the same checker and asserts that it
 * reports them: the check is only worth its green if it can go red.
 */
import test from 'ava'
import type { QoS } from '../../lib/protocol/packets.js'
import { modelCheck, type CheckResult } from './model/checker.js'
import { realReceiver, realSender, type ReceiverMachines, type SenderMachines } from './model/endpoints.js'
import { message } from './model/fixtures.js'
import { IdSpace, MemoIds, type IdSource } from './model/id-source.js'
import {
  AlwaysOneIds, receiverDeliveringQos2Duplicates, receiverNeverReleasingIds, senderDroppingQos1OnConnectionLost,
  senderNeverResending, senderResendingOnConnectionLost, senderResendingPublishAfterPubrel, senderSendingQos0Twice
} from './model/mutants.js'
import type { ModelConfig, ViolationKind } from './model/world.js'

interface Scenario {
  readonly qos: readonly QoS[]
  readonly maxBreaks: number
  readonly ids: number
  readonly refuse?: ReadonlyMap<number, number>
  readonly sender?: SenderMachines
  readonly receiver?: ReceiverMachines
  readonly makeIds?: () => IdSource
  readonly resendOrder?: 'original' | 'reverse'
  readonly checks?: 'all' | 'guarantees'
}

function configOf (s: Scenario): ModelConfig {
  const space = new IdSpace(s.ids)
  return {
    messages: s.qos.map((q, n) => message(n, q)),
    maxBreaks: s.maxBreaks,
    sender: s.sender ?? realSender,
    receiver: s.receiver ?? realReceiver,
    makeIds: s.makeIds ?? (() => new MemoIds(space)),
    ...(s.refuse === undefined ? {} : { refuse: s.refuse }),
    ...(s.resendOrder === undefined ? {} : { resendOrder: s.resendOrder }),
    ...(s.checks === undefined ? {} : { checks: s.checks })
  }
}

function describe (s: Scenario): string {
  const refusals = s.refuse === undefined ? '' : `, m${[...s.refuse.keys()].join('/m')} refused`
  return `QoS ${s.qos.join(',')}; <= ${s.maxBreaks} breaks; ${s.ids} usable ids${refusals}`
}

const totals = { states: 0, terminal: 0 }

/** Explores `s` with the real machines and fails with the shortest trace on any violation. */
function checkPasses (title: string, s: Scenario): void {
  test.serial(title, t => {
    const started = process.hrtime.bigint()
    const result = modelCheck(configOf(s))
    const ms = Number((process.hrtime.bigint() - started) / 1_000_000n)
    const line = `model check (${describe(s)}): ${result.states} states explored, ${result.terminal} terminal, ${result.transitions} transitions, ${ms} ms`
    t.log(line)
    console.log(line)
    t.is(result.violation, undefined, result.violation === undefined ? '' : `${result.violation.message}\n  trace: ${result.violation.trace.join(' -> ')}`)
    t.true(result.terminal > 0, 'some run completes')
    totals.states += result.states
    totals.terminal += result.terminal
  })
}

checkPasses('v3.1.1 [MQTT-4.3.1-1] [MQTT-4.3.2-1] [MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-4.4.0-1] v5 [MQTT-4.3.1-1] [MQTT-4.3.2-3] [MQTT-4.3.3-10] [MQTT-4.4.0-1] QoS 0, 1, 2 under every interleaving and up to 3 connection breaks: QoS 0 at most once, QoS 1 at least once, QoS 2 exactly once',
  { qos: [0, 1, 2], maxBreaks: 3, ids: 2 })

checkPasses('v3.1.1 [MQTT-4.3.3-2] [MQTT-2.3.1-2] v5 [MQTT-4.3.2-5] [MQTT-4.3.3-12] [MQTT-2.2.1-3] QoS 2, 1, 2 with only 2 usable ids: the third message reuses an id and is still delivered exactly once',
  { qos: [2, 1, 2], maxBreaks: 3, ids: 2 })

checkPasses('v3.1.1 [MQTT-4.3.3-1] [MQTT-4.3.3-2] v5 [MQTT-4.3.3-6] [MQTT-4.3.3-10] [MQTT-4.3.3-12] four QoS 2 messages over 2 ids and up to 3 breaks: each delivered exactly once',
  { qos: [2, 2, 2, 2], maxBreaks: 3, ids: 2 })

checkPasses('v5 [MQTT-4.4.0-2] [MQTT-4.3.3-9] refused QoS 1 and QoS 2 messages are never delivered, never resent, and reported to the sender as refused',
  { qos: [1, 2, 1, 2], maxBreaks: 3, ids: 2, refuse: new Map([[0, 0x87], [3, 0x97]]) })

checkPasses('v5 [MQTT-4.3.2-5] [MQTT-4.3.3-9] [MQTT-4.4.0-2] after a refusal the id is free at once: messages reusing the ids of refused QoS 1 and QoS 2 messages are new and delivered',
  { qos: [2, 1, 2, 1, 2], maxBreaks: 3, ids: 2, refuse: new Map([[0, 0x80], [1, 0x87]]) })

checkPasses('v3.1.1 [MQTT-4.6.0-1] [MQTT-4.6.0-2] [MQTT-4.6.0-3] [MQTT-4.6.0-4] v5 [MQTT-4.6.0-1] [MQTT-4.6.0-2] [MQTT-4.6.0-3] [MQTT-4.6.0-4] [MQTT-4.6.0-5] eight mixed messages over 3 ids and up to 4 breaks: guarantees and 4.6 ordering hold',
  { qos: [1, 2, 0, 2, 1, 2, 2, 1], maxBreaks: 4, ids: 3 })

test.serial('model check total', t => {
  const line = `model check: ${totals.states} states explored, ${totals.terminal} terminal`
  t.log(line)
  console.log(line)
  t.true(totals.states > 0)
})

// --- The checker catches broken machines -------------------------------------------------------

function expectViolation (title: string, s: Scenario, kind: ViolationKind): void {
  test(title, t => {
    const result: CheckResult = modelCheck(configOf(s))
    t.truthy(result.violation, 'the checker must report the broken machine')
    t.is(result.violation?.kind, kind, result.violation?.message)
    t.log(`${result.violation?.message ?? ''}\n  trace: ${result.violation?.trace.join(' -> ') ?? ''}`)
  })
}

expectViolation('v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-10] the checker reports a receiver that delivers a repeated QoS 2 PUBLISH again',
  { qos: [0, 1, 2], maxBreaks: 2, ids: 2, receiver: receiverDeliveringQos2Duplicates }, 'qos2-duplicate')

expectViolation('v3.1.1 [MQTT-4.3.3-1] v5 [MQTT-4.3.3-6] the checker reports a sender that resends the PUBLISH after its PUBREL (protocol check)',
  { qos: [2, 1, 2], maxBreaks: 2, ids: 2, sender: senderResendingPublishAfterPubrel }, 'publish-after-pubrel')

expectViolation('v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-6] [MQTT-4.3.3-12] with protocol checks off, the same sender is caught by the exactly-once guarantee',
  { qos: [2, 1, 2], maxBreaks: 2, ids: 2, sender: senderResendingPublishAfterPubrel, checks: 'guarantees' }, 'qos2-duplicate')

expectViolation('v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-12] the checker reports a receiver that never releases QoS 2 ids (stale inbound flow)',
  { qos: [2, 2, 2], maxBreaks: 1, ids: 2, receiver: receiverNeverReleasingIds }, 'stale-inbound')

expectViolation('v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-12] with protocol checks off, a receiver that never releases ids is caught swallowing the message that reuses one',
  { qos: [2, 2, 2], maxBreaks: 1, ids: 2, receiver: receiverNeverReleasingIds, checks: 'guarantees' }, 'qos2-lost')

expectViolation('v5 [MQTT-4.4.0-1] the checker reports a sender that drops a QoS 1 flow when the connection is lost (protocol check)',
  { qos: [1, 2], maxBreaks: 1, ids: 2, sender: senderDroppingQos1OnConnectionLost }, 'persist-forget')

expectViolation('v3.1.1 [MQTT-4.3.2-1] v5 [MQTT-4.3.2-3] with protocol checks off, dropping a QoS 1 flow on connection loss is caught as a lost QoS 1 message',
  { qos: [1, 2], maxBreaks: 1, ids: 2, sender: senderDroppingQos1OnConnectionLost, checks: 'guarantees' }, 'qos1-lost')

expectViolation('v3.1.1 [MQTT-4.4.0-1] v5 [MQTT-4.4.0-1] the checker reports a sender that resends nothing when the session resumes',
  { qos: [1, 2], maxBreaks: 1, ids: 2, sender: senderNeverResending }, 'resend-missing')

expectViolation('v3.1.1 [MQTT-4.4.0-1] v5 [MQTT-4.4.0-1] with protocol checks off, a sender that never resends leaves a run stuck',
  { qos: [1, 2], maxBreaks: 1, ids: 2, sender: senderNeverResending, checks: 'guarantees' }, 'deadlock')

expectViolation('v5 [MQTT-4.4.0-1] the checker reports a sender that resends on the connection that was lost',
  { qos: [1, 2], maxBreaks: 1, ids: 2, sender: senderResendingOnConnectionLost }, 'connection-lost-sends')

expectViolation('v3.1.1 [MQTT-4.6.0-1] v5 [MQTT-4.6.0-1] the checker reports a session that resends unfinished flows in reverse order',
  { qos: [1, 1, 2], maxBreaks: 1, ids: 3, resendOrder: 'reverse' }, 'resend-order')

expectViolation('v5 [MQTT-4.6.0-5] with protocol checks off, reverse resending is caught as out-of-order first deliveries',
  { qos: [1, 1, 2], maxBreaks: 1, ids: 3, resendOrder: 'reverse', checks: 'guarantees' }, 'delivery-order')

expectViolation('v3.1.1 [MQTT-2.3.1-2] v5 [MQTT-2.2.1-3] the checker reports an id source that hands out an id still in flight',
  { qos: [1, 2], maxBreaks: 0, ids: 2, makeIds: () => new AlwaysOneIds() }, 'id-reuse')

expectViolation('v3.1.1 [MQTT-4.3.1-1] v5 [MQTT-4.3.1-1] the checker reports a QoS 0 message delivered twice',
  { qos: [0, 1], maxBreaks: 0, ids: 2, sender: senderSendingQos0Twice, checks: 'guarantees' }, 'qos0-duplicate')
