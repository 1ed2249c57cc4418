/**
 * One long random run of the model in world.ts, for the property tests: the schedule is a list of
 * commands drawn by fast-check (take some enabled step, cut the connection, or let a misbehaving
 * peer inject a packet), followed by a drain that reconnects and lets every flow finish. All the
 * model's assertions run at every step; the terminal assertions run at the end.
 *
 * Injected packets stand for a peer that misbehaves in ways the machines must tolerate. They are
 * chosen so that the misbehaviour is either legal or harmless to a correct endpoint, and the
 * endpoints' answers to them are checked and then absorbed by the misbehaving peer (never put on
 * the wire), so that a correct endpoint on the other side is not blamed for them:
 * - dupPublish: a QoS 1/2 PUBLISH repeated with DUP 1 right behind the original, as a v3.1.1
 *   peer retrying on the same connection may do (v3.1.1 4.4 allows it);
 * - dupPubrel: a PUBREL repeated right behind the original (same reason);
 * - dupPubrec: an accepting PUBREC repeated right behind the original (a retrying receiver);
 * - unknownAck: a PUBACK, PUBREC or PUBCOMP, any reason code, for an id the sender never uses;
 * - unknownPubrel: a PUBREL for an id the receiver never holds.
 * Duplicates of PUBACK and PUBCOMP, and of refusing PUBRECs, are NOT injected: once the flow has
 * ended, a late copy can land on a reused id and acknowledge a newer flow, which no id-based
 * protocol can tell apart (that is a peer violation, not something the machines can survive).
 */
import { MAX_PACKET_ID } from '../../../lib/core/ids.js'
import type { Packet, QoS } from '../../../lib/protocol/packets.js'
import { realReceiver, realSender, type ReceiverMachines, type SenderMachines } from './endpoints.js'
import { message } from './fixtures.js'
import { LiveIds } from './id-source.js'
import {
  Violation, applyStep, checkTerminal, enabledSteps, initialWorld, inject, isTerminal,
  type ModelConfig, type Step, type World
} from './world.js'

export type InjectKind = 'dupPublish' | 'dupPubrel' | 'dupPubrec' | 'unknownAck' | 'unknownPubrel'

export type Command =
  | { readonly t: 'step', readonly n: number }
  | { readonly t: 'cut' }
  | { readonly t: 'inject', readonly kind: InjectKind, readonly n: number, readonly code: number }

export interface RunSpec {
  readonly qos: readonly QoS[]
  readonly ids: number
  readonly refuse?: ReadonlyMap<number, number>
  readonly sender?: SenderMachines
  readonly receiver?: ReceiverMachines
}

export interface RunReport {
  readonly steps: number
  readonly breaks: number
  readonly injected: number
  readonly delivered: readonly number[]
}

/** Ids the sender never allocates (its allocator is narrowed to 1..spec.ids). */
const FOREIGN_ID_BASE = MAX_PACKET_ID - 100

export function runRandom (spec: RunSpec, commands: readonly Command[]): RunReport {
  const config: ModelConfig = {
    messages: spec.qos.map((q, n) => message(n, q)),
    maxBreaks: Number.MAX_SAFE_INTEGER,
    sender: spec.sender ?? realSender,
    receiver: spec.receiver ?? realReceiver,
    makeIds: () => new LiveIds(spec.ids),
    ...(spec.refuse === undefined ? {} : { refuse: spec.refuse })
  }
  const w = initialWorld(config)
  let steps = 0
  let injected = 0
  const step = (s: Step): void => {
    steps++
    const unknownAck = s === 'toSender' && w.toSender[0]?.injected === true && isForeign(w.toSender[0].packet)
    const before = unknownAck ? [...w.out] : undefined
    applyStep(w, config, s)
    if (before !== undefined && JSON.stringify(before) !== JSON.stringify([...w.out])) {
      throw new Violation('persist-forget', 'an acknowledgement for an id the sender never used changed its outbound flows')
    }
  }

  for (const command of commands) {
    if (command.t === 'cut') {
      if (w.connected) step('break')
    } else if (command.t === 'step') {
      const enabled = enabledSteps(w, config).filter(s => s !== 'break')
      const chosen = enabled[command.n % Math.max(enabled.length, 1)]
      if (chosen !== undefined) step(chosen)
    } else if (w.connected && injectPacket(w, command)) {
      injected++
    }
  }

  // Drain: no more cuts; reconnect, then deliver everything and publish the rest.
  const priority: readonly Step[] = ['reconnect', 'toReceiver', 'toSender', 'start']
  for (let guard = 0; !isTerminal(w, config); guard++) {
    const enabled = enabledSteps(w, config)
    const next = priority.find(s => enabled.includes(s))
    if (next === undefined || guard > 100_000) throw new Violation('deadlock', 'the drain cannot finish the run')
    step(next)
  }
  checkTerminal(w, config)
  for (const answer of w.absorbed) checkAbsorbed(answer)
  return { steps, breaks: w.breaks, injected, delivered: [...w.delivered] }
}

function isForeign (packet: Packet): boolean {
  return 'packetId' in packet && packet.packetId !== undefined && packet.packetId >= FOREIGN_ID_BASE
}

/** Answers to packets about ids that were never used must say 0x92 Packet Identifier not found. */
function checkAbsorbed (answer: Packet): void {
  if ((answer.type === 'pubrel' || answer.type === 'pubcomp') && isForeign(answer) && answer.reasonCode !== 0x92) {
    throw new Violation('ack', `${answer.type.toUpperCase()} for unknown id ${answer.packetId} carries reason ${answer.reasonCode ?? '-'} instead of 0x92`)
  }
}

function injectPacket (w: World, command: { readonly kind: InjectKind, readonly n: number, readonly code: number }): boolean {
  const pick = <T>(items: readonly T[]): T | undefined => items[command.n % Math.max(items.length, 1)]
  const foreignId = FOREIGN_ID_BASE + (command.n % 100)
  switch (command.kind) {
    case 'dupPublish': {
      const at = pick(indexes(w.toReceiver.map(x => !x.injected && x.packet.type === 'publish' && x.packet.qos > 0)))
      const original = at === undefined ? undefined : w.toReceiver[at]?.packet
      if (at === undefined || original?.type !== 'publish') return false
      inject(w, 'toReceiver', { ...original, dup: true }, at)
      return true
    }
    case 'dupPubrel': {
      const at = pick(indexes(w.toReceiver.map(x => !x.injected && x.packet.type === 'pubrel')))
      const original = at === undefined ? undefined : w.toReceiver[at]?.packet
      if (at === undefined || original === undefined) return false
      inject(w, 'toReceiver', original, at)
      return true
    }
    case 'dupPubrec': {
      const at = pick(indexes(w.toSender.map(x => !x.injected && x.packet.type === 'pubrec' && (x.packet.reasonCode ?? 0) < 0x80)))
      const original = at === undefined ? undefined : w.toSender[at]?.packet
      if (at === undefined || original === undefined) return false
      inject(w, 'toSender', original, at)
      return true
    }
    case 'unknownAck': {
      const type = (['puback', 'pubrec', 'pubcomp'] as const)[command.n % 3] ?? 'puback'
      inject(w, 'toSender', { type, packetId: foreignId, reasonCode: command.code })
      return true
    }
    case 'unknownPubrel':
      inject(w, 'toReceiver', { type: 'pubrel', packetId: foreignId, reasonCode: 0 })
      return true
  }
}

function indexes (flags: readonly boolean[]): number[] {
  return flags.flatMap((f, i) => f ? [i] : [])
}
