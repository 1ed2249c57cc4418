/**
 * The global state of the model: a sending endpoint and a receiving endpoint joined by one
 * connection, modelled as two FIFO channels, and the steps that change it. Both the exhaustive
 * search (checker.ts) and the random runs (properties.test.ts) drive this same code, and every
 * assertion lives here, so a violation is reported the same way by both.
 *
 * What the model is, and is not:
 * - The sender owns an outbound flow table (Map by packet id) and a PacketIdAllocator; the
 *   receiver owns an inbound flow table. Tables follow the `state` each transition returns;
 *   `forget` frees the id, as lib/session does.
 * - A break empties both channels (nothing sent on a dead connection arrives later, and a new
 *   connection starts empty), both sides get `connectionLost`, the session stays on both sides.
 *   A reconnect resumes it: the sender runs `onSessionResumed` for each unfinished outbound flow,
 *   in the order the flows were started.
 * - Process crashes are not modelled (tables survive a break), so whether `persist` comes early
 *   enough is checked by the step tables, not here.
 *
 * Assertions, by the statement they come from. "Guarantee" checks always run; "protocol" checks
 * can be switched off to show that the guarantees alone also catch a broken machine.
 * - guarantee: QoS 0 delivered at most once; QoS 2 never delivered twice; in a terminal state
 *   QoS 1 delivered at least once and QoS 2 exactly once (unless refused, v5 [MQTT-4.4.0-2]:
 *   then never delivered and reported to the sender as refused); a fresh id is never one still
 *   in flight (v5 [MQTT-2.2.1-3] [MQTT-2.2.1-4], v3.1.1 [MQTT-2.3.1-2] [MQTT-2.3.1-4]);
 *   a delivery carries the message that was published; no machine throws on legal traffic;
 *   no reachable state is stuck.
 * - guarantee, ordering (4.6). What 4.6 actually requires (v5 and v3.1.1 alike): of every
 *   endpoint, 4.6.0-1..4 (resend PUBLISH in original order; send PUBACK, PUBREC in the order the
 *   PUBLISHes arrived; PUBREL in the order the PUBRECs arrived), checked below as protocol
 *   rules; of a server, to forward messages of the same topic and QoS in the order it received
 *   them from a client (v5 [MQTT-4.6.0-5] [MQTT-4.6.0-6], v3.1.1 [MQTT-4.6.0-5] [MQTT-4.6.0-6]).
 *   The spec does NOT promise an order across QoS levels, and for QoS 1 it explicitly allows a
 *   duplicate to arrive after a later message (1,2,3,2,3,4); its non-normative text promises
 *   only that "the final copy of each message" arrives in publish order. Since the receiver
 *   delivers onward when the PUBLISH arrives, its delivery order is the order the server
 *   forwards in. This model asserts, in every state and at the end:
 *     (a) among messages of the same QoS, FIRST deliveries happen in publish order (for QoS 2,
 *         delivered once, this is the ordered-topic promise on one hop; for QoS 1 it is stronger
 *         than the spec's text and holds here because of FIFO channels, 4.6.0-1, and because
 *         resends go out on reconnect before any new message);
 *     (b) for QoS 1, the final copy of each message is delivered in publish order (checked in
 *         terminal states);
 *   and nothing about order across different QoS levels.
 * - protocol: first PUBLISH has DUP 0, QoS 0 always DUP 0 (v5 [MQTT-4.3.1-1] [MQTT-4.3.2-2]
 *   [MQTT-4.3.3-2] [MQTT-3.3.1-2]); a resent PUBLISH has DUP 1 and the original id
 *   ([MQTT-3.3.1-1], [MQTT-4.4.0-1]); a PUBLISH is resent only when the session resumes, and
 *   each unfinished flow is resent exactly once then ([MQTT-4.4.0-1]); never a PUBLISH after
 *   its PUBREL (v5 [MQTT-4.3.3-6], v3.1.1 [MQTT-4.3.3-1]); resends in original order
 *   ([MQTT-4.6.0-1]); each PUBLISH the receiver processes is answered at once by exactly one
 *   PUBACK/PUBREC echoing its id, and each PUBREC by exactly one PUBREL (or none after a
 *   refusal), so acknowledgements leave in arrival order ([MQTT-2.2.1-5], [MQTT-4.6.0-2..4]);
 *   connectionLost sends nothing; a changed flow is persisted before anything is sent, an ended
 *   flow is forgotten, and the allocator's ids in flight equal the outbound table's ids.
 */
import type { PacketId } from '../../../lib/core/ids.js'
import type { Packet, PublishPacket } from '../../../lib/protocol/packets.js'
import type { Action, ApplicationMessage, FlowOutcome, InboundFlow, OutboundFlow, Transition } from '../../../lib/qos/types.js'
import type { ReceiverMachines, SenderMachines } from './endpoints.js'
import { describePacket, messageNumber } from './fixtures.js'
import type { IdSource } from './id-source.js'

export type ViolationKind =
  | 'qos0-duplicate' | 'qos2-duplicate' | 'qos1-lost' | 'qos2-lost' | 'refused-delivered' | 'outcome'
  | 'wrong-message' | 'delivery-order' | 'id-reuse' | 'threw' | 'deadlock'
  | 'id-table-mismatch' | 'dup-flag' | 'resend-outside-resume' | 'resend-missing' | 'publish-after-pubrel'
  | 'resend-order' | 'ack' | 'start-publish' | 'connection-lost-sends' | 'persist-forget' | 'stale-inbound'

export class Violation extends Error {
  readonly kind: ViolationKind
  constructor (kind: ViolationKind, detail: string) {
    super(`${kind}: ${detail}`)
    this.kind = kind
  }
}

export interface ModelConfig {
  readonly messages: readonly ApplicationMessage[]
  readonly maxBreaks: number
  readonly sender: SenderMachines
  readonly receiver: ReceiverMachines
  readonly makeIds: () => IdSource
  /** The session's resend order; 'reverse' exists only to show the 4.6.0-1 check works. */
  readonly resendOrder?: 'original' | 'reverse'
  /** 'guarantees' switches the protocol checks off (see the header). Default 'all'. */
  readonly checks?: 'all' | 'guarantees'
  /** v5 refusals: message number -> reason code (>= 0x80) the receiver answers it with. */
  readonly refuse?: ReadonlyMap<number, number>
}

export interface OutEntry { readonly msg: number, readonly flow: OutboundFlow }

/** A packet on the wire; `injected` packets come from a misbehaving peer (property tests). */
export interface Wire { readonly packet: Packet, readonly injected: boolean }

export interface World {
  nextMsg: number
  readonly out: Map<number, OutEntry>
  readonly ids: IdSource
  /** Messages whose PUBREL the sender has sent. */
  readonly relSent: Set<number>
  readonly inbound: Map<number, InboundFlow>
  readonly toReceiver: Wire[]
  readonly toSender: Wire[]
  connected: boolean
  breaks: number
  /** Deliveries per message number. */
  readonly delivered: number[]
  /** QoS 1 message numbers, ordered by their latest delivery. */
  readonly q1Last: number[]
  readonly outcomes: Array<FlowOutcome | undefined>
  /** Answers the endpoints gave to injected packets (absorbed by the misbehaving peer). */
  readonly absorbed: Packet[]
}

export type Step = 'start' | 'toReceiver' | 'toSender' | 'break' | 'reconnect'

export function initialWorld (config: ModelConfig): World {
  return {
    nextMsg: 0,
    out: new Map(),
    ids: config.makeIds(),
    relSent: new Set(),
    inbound: new Map(),
    toReceiver: [],
    toSender: [],
    connected: true,
    breaks: 0,
    delivered: config.messages.map(() => 0),
    q1Last: [],
    outcomes: config.messages.map(() => undefined),
    absorbed: []
  }
}

export function cloneWorld (w: World): World {
  return {
    nextMsg: w.nextMsg,
    out: new Map(w.out),
    ids: w.ids.clone(),
    relSent: new Set(w.relSent),
    inbound: new Map(w.inbound),
    toReceiver: [...w.toReceiver],
    toSender: [...w.toSender],
    connected: w.connected,
    breaks: w.breaks,
    delivered: [...w.delivered],
    q1Last: [...w.q1Last],
    outcomes: [...w.outcomes],
    absorbed: [...w.absorbed]
  }
}

const PHASE = { AwaitingPuback: 'a', AwaitingPubrec: 'r', AwaitingPubcomp: 'c' } as const

/** Canonical text of everything that can influence the future or the assertions. */
export function worldKey (w: World): string {
  const out = [...w.out].map(([id, e]) => `${e.msg}:${id}:${PHASE[e.flow.state]}`).join(',')
  const inbound = [...w.inbound.keys()].sort((a, b) => a - b).join(',')
  const wire = (ws: readonly Wire[]): string => ws.map(x => (x.injected ? '!' : '') + describePacket(x.packet)).join(',')
  const outcomes = w.outcomes.map(o => o === undefined ? '-' : o.ok ? 'y' : 'n').join('')
  return `${w.nextMsg}|${out}|${w.ids.key()}|${[...w.relSent].sort((a, b) => a - b).join(',')}|${inbound}|${wire(w.toReceiver)}|${wire(w.toSender)}|${w.connected ? 'C' : 'D'}${w.breaks}|${w.delivered.join('')}|${w.q1Last.join(',')}|${outcomes}`
}

export function enabledSteps (w: World, config: ModelConfig): Step[] {
  if (!w.connected) return ['reconnect']
  const steps: Step[] = []
  const next = config.messages[w.nextMsg]
  if (next !== undefined && (next.qos === 0 || w.ids.hasFree())) steps.push('start')
  if (w.toReceiver.length > 0) steps.push('toReceiver')
  if (w.toSender.length > 0) steps.push('toSender')
  if (w.breaks < config.maxBreaks) steps.push('break')
  return steps
}

/** All messages published, every flow finished, nothing in flight, connected. */
export function isTerminal (w: World, config: ModelConfig): boolean {
  return w.connected && w.nextMsg === config.messages.length && w.out.size === 0 && w.toReceiver.length === 0 && w.toSender.length === 0
}

/** A label for `step` taken from `w`, computed before the step runs (for traces). */
export function stepLabel (w: World, step: Step): string {
  const wire = step === 'toReceiver' ? w.toReceiver[0] : step === 'toSender' ? w.toSender[0] : undefined
  if (wire === undefined) return step === 'start' ? `start m${w.nextMsg}` : step
  return `${step === 'toReceiver' ? 'R' : 'S'}<-${wire.injected ? '!' : ''}${describePacket(wire.packet)}`
}

/** Runs one step on `w` (mutating it) and returns a label for traces; throws Violation. */
export function applyStep (w: World, config: ModelConfig, step: Step): string {
  const run = new Run(w, config)
  let label: string
  try {
    label = run.step(step)
  } catch (error) {
    if (error instanceof Violation) throw error
    throw new Violation('threw', `${step}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
  }
  run.checkIdTable()
  return label
}

/** Puts a packet from a misbehaving peer on a channel, right behind `after` if it is given. */
export function inject (w: World, to: 'toReceiver' | 'toSender', packet: Packet, afterIndex?: number): void {
  const channel = w[to]
  const at = afterIndex === undefined ? channel.length : afterIndex + 1
  channel.splice(at, 0, { packet, injected: true })
}

/** The assertions that hold once everything is done. */
export function checkTerminal (w: World, config: ModelConfig): void {
  if (w.inbound.size > 0 && config.checks !== 'guarantees') {
    throw new Violation('stale-inbound', `receiver still holds inbound flows ${[...w.inbound.keys()].join(',')} once every flow has ended`)
  }
  config.messages.forEach((m, n) => {
    const refused = m.qos > 0 && config.refuse?.get(n) !== undefined
    const delivered = w.delivered[n] ?? 0
    const outcome = w.outcomes[n]
    if (m.qos > 0) {
      if (outcome === undefined) throw new Violation('outcome', `m${n} ended with no outcome`)
      if (refused) {
        if (outcome.ok || outcome.reasonCode !== config.refuse?.get(n)) throw new Violation('outcome', `refused m${n} ended with ${JSON.stringify(outcome)}`)
      } else if (!outcome.ok) {
        throw new Violation('outcome', `accepted m${n} ended with ${JSON.stringify(outcome)}`)
      }
    }
    if (refused) return
    if (m.qos === 1 && delivered < 1) throw new Violation('qos1-lost', `QoS 1 m${n} never delivered (v5 [MQTT-4.3.2-3] at least once)`)
    if (m.qos === 2 && delivered !== 1) throw new Violation(delivered === 0 ? 'qos2-lost' : 'qos2-duplicate', `QoS 2 m${n} delivered ${delivered} times (exactly once)`)
  })
  const expected = w.q1Last.slice().sort((a, b) => a - b)
  if (w.q1Last.join(',') !== expected.join(',')) {
    throw new Violation('delivery-order', `QoS 1 final copies delivered in order ${w.q1Last.join(',')} (4.6: final copies in publish order)`)
  }
}

class Run {
  readonly #w: World
  readonly #config: ModelConfig
  readonly #protocol: boolean
  constructor (w: World, config: ModelConfig) {
    this.#w = w
    this.#config = config
    this.#protocol = config.checks !== 'guarantees'
  }

  step (step: Step): string {
    switch (step) {
      case 'start': return this.#start()
      case 'toReceiver': return this.#toReceiver()
      case 'toSender': return this.#toSender()
      case 'break': return this.#break()
      case 'reconnect': return this.#reconnect()
    }
  }

  #fail (kind: ViolationKind, detail: string, protocolOnly = false): void {
    if (protocolOnly && !this.#protocol) return
    throw new Violation(kind, detail)
  }

  #message (n: number): ApplicationMessage {
    const m = this.#config.messages[n]
    if (m === undefined) throw new Violation('wrong-message', `no message m${n}`)
    return m
  }

  #start (): string {
    const w = this.#w
    const n = w.nextMsg
    const message = this.#message(n)
    let id: PacketId | undefined
    if (message.qos > 0) {
      id = w.ids.allocate()
      if (w.out.has(id)) this.#fail('id-reuse', `allocated #${id} for m${n} while m${w.out.get(id)?.msg ?? '?'} still uses it`)
    }
    w.nextMsg++
    const result = this.#config.sender.start(message, id)
    if (id !== undefined) this.#checkPersistForget('sender', undefined, result, id)
    else if (result.state !== undefined) this.#fail('persist-forget', `QoS 0 m${n} left an outbound flow`, true)
    if (result.state !== undefined && id !== undefined) w.out.set(id, { msg: n, flow: result.state })
    const sends = this.#runSenderActions(result.actions, n, 'start', false)
    if (sends.length !== 1 || sends[0]?.type !== 'publish') this.#fail('start-publish', `starting m${n} sent ${sends.map(describePacket).join(',')} instead of one PUBLISH`, true)
    return `start m${n}${id === undefined ? '' : ` #${id}`}`
  }

  #toReceiver (): string {
    const w = this.#w
    const wire = w.toReceiver.shift()
    if (wire === undefined) throw new Error('empty channel')
    const { packet, injected } = wire
    const label = `R<-${injected ? '!' : ''}${describePacket(packet)}`
    if (packet.type === 'publish') this.#receivePublish(packet, injected)
    else if (packet.type === 'pubrel') {
      const before = w.inbound.get(packet.packetId)
      const result = this.#config.receiver.onPubrel(before, packet)
      this.#checkPersistForget('receiver', before, result, packet.packetId)
      this.#setInbound(packet.packetId, result.state)
      const sends = this.#runReceiverActions(result.actions, injected)
      if (sends.length !== 1 || sends[0]?.type !== 'pubcomp' || sends[0].packetId !== packet.packetId) {
        this.#fail('ack', `${describePacket(packet)} answered with ${sends.map(describePacket).join(',') || 'nothing'} (v5 [MQTT-4.3.3-11])`, true)
      }
    } else throw new Error(`unexpected ${packet.type} towards the receiver`)
    return label
  }

  #receivePublish (packet: PublishPacket, injected: boolean): void {
    const w = this.#w
    const n = messageNumber(packet.payload)
    const refuse = packet.qos > 0 ? this.#config.refuse?.get(n) : undefined
    const before = packet.packetId === undefined ? undefined : w.inbound.get(packet.packetId)
    const result = this.#config.receiver.onPublish(before, packet, refuse)
    if (packet.packetId !== undefined) {
      this.#checkPersistForget('receiver', before, result, packet.packetId)
      this.#setInbound(packet.packetId, result.state)
    }
    const sends = this.#runReceiverActions(result.actions, injected)
    const expected = packet.qos === 1 ? 'puback' : packet.qos === 2 ? 'pubrec' : undefined
    const ok = expected === undefined
      ? sends.length === 0
      : sends.length === 1 && sends[0]?.type === expected && sends[0].packetId === packet.packetId
    if (!ok) this.#fail('ack', `${describePacket(packet)} answered with ${sends.map(describePacket).join(',') || 'nothing'} (v5 [MQTT-4.3.2-4] [MQTT-4.3.3-8] [MQTT-4.6.0-2] [MQTT-4.6.0-3])`, true)
  }

  #toSender (): string {
    const w = this.#w
    const wire = w.toSender.shift()
    if (wire === undefined) throw new Error('empty channel')
    const { packet, injected } = wire
    const label = `S<-${injected ? '!' : ''}${describePacket(packet)}`
    if (packet.type !== 'puback' && packet.type !== 'pubrec' && packet.type !== 'pubcomp') throw new Error(`unexpected ${packet.type} towards the sender`)
    const entry = w.out.get(packet.packetId)
    const before = entry?.flow
    const result = packet.type === 'puback'
      ? this.#config.sender.onPuback(before, packet)
      : packet.type === 'pubrec' ? this.#config.sender.onPubrec(before, packet) : this.#config.sender.onPubcomp(before, packet)
    this.#checkPersistForget('sender', before, result, packet.packetId)
    if (entry !== undefined) {
      if (result.state === undefined) w.out.delete(packet.packetId)
      else w.out.set(packet.packetId, { msg: entry.msg, flow: result.state })
    } else if (result.state !== undefined) {
      this.#fail('persist-forget', `${describePacket(packet)} for an unknown id created a flow`)
    }
    const sends = this.#runSenderActions(result.actions, entry?.msg, 'ack', injected)
    if (packet.type === 'pubrec') {
      const refused = (packet.reasonCode ?? 0) >= 0x80 && entry !== undefined
      const ok = refused
        ? sends.length === 0
        : sends.length === 1 && sends[0]?.type === 'pubrel' && sends[0].packetId === packet.packetId
      if (!ok) this.#fail('ack', `${describePacket(packet)} answered with ${sends.map(describePacket).join(',') || 'nothing'} (v5 [MQTT-4.3.3-4] [MQTT-4.6.0-4])`, true)
    } else if (sends.length > 0) {
      this.#fail('ack', `${describePacket(packet)} answered with ${sends.map(describePacket).join(',')}`, true)
    }
    return label
  }

  #break (): string {
    const w = this.#w
    w.toReceiver.length = 0
    w.toSender.length = 0
    w.connected = false
    w.breaks++
    for (const [id, entry] of [...w.out]) {
      const result = this.#config.sender.onConnectionLost(entry.flow)
      if (result.actions.some(a => a.type === 'send')) this.#fail('connection-lost-sends', `sender sent ${result.actions.map(describeAction).join(',')} on connectionLost (v5 [MQTT-4.4.0-1])`, true)
      if (result.state !== entry.flow) this.#fail('persist-forget', `connectionLost changed outbound flow #${id}`, true)
      this.#checkPersistForget('sender', entry.flow, result, id)
      if (result.state === undefined) w.out.delete(id)
      else w.out.set(id, { msg: entry.msg, flow: result.state })
      this.#runSenderActions(result.actions.filter(a => a.type !== 'send'), entry.msg, 'lost', false)
    }
    for (const [id, flow] of [...w.inbound]) {
      const result = this.#config.receiver.onConnectionLost(flow)
      if (result.actions.length > 0 || result.state !== flow) this.#fail('connection-lost-sends', `receiver flow #${id} reacted to connectionLost with ${result.actions.map(describeAction).join(',')}`, true)
    }
    return 'break'
  }

  #reconnect (): string {
    const w = this.#w
    w.connected = true
    for (const [id, flow] of [...w.inbound]) {
      const result = this.#config.receiver.onSessionResumed(flow)
      if (result.actions.length > 0 || result.state !== flow) this.#fail('resend-outside-resume', `receiver flow #${id} reacted to sessionResumed with ${result.actions.map(describeAction).join(',')}`, true)
    }
    // Map order is insertion order, and ids are inserted when their flow starts: original order.
    const entries = [...w.out]
    if (this.#config.resendOrder === 'reverse') entries.reverse()
    const resent: number[] = []
    for (const [id, entry] of entries) {
      const result = this.#config.sender.onSessionResumed(entry.flow)
      this.#checkPersistForget('sender', entry.flow, result, id)
      if (result.state === undefined) w.out.delete(id)
      else w.out.set(id, { msg: entry.msg, flow: result.state })
      const sends = this.#runSenderActions(result.actions, entry.msg, 'resume', false)
      const expected = entry.flow.state === 'AwaitingPubcomp' ? 'pubrel' : 'publish'
      if (sends.length !== 1 || sends[0]?.type !== expected || sends[0].packetId !== id) {
        this.#fail('resend-missing', `resuming ${entry.flow.state} #${id} (m${entry.msg}) sent ${sends.map(describePacket).join(',') || 'nothing'} (v5 [MQTT-4.4.0-1])`, true)
      }
      if (sends.some(p => p.type === 'publish')) resent.push(entry.msg)
    }
    for (let i = 1; i < resent.length; i++) {
      if ((resent[i] ?? 0) < (resent[i - 1] ?? 0)) this.#fail('resend-order', `PUBLISH resent in order ${resent.map(n => `m${n}`).join(',')} (v5 [MQTT-4.6.0-1])`, true)
    }
    return 'reconnect'
  }

  /** Runs a sender's actions; returns the packets it sent. */
  #runSenderActions (actions: readonly Action[], msg: number | undefined, context: 'start' | 'ack' | 'resume' | 'lost', injected: boolean): Packet[] {
    const w = this.#w
    const sent: Packet[] = []
    for (const action of actions) {
      switch (action.type) {
        case 'persist':
          if (action.direction !== 'outbound') this.#fail('persist-forget', 'sender persisted an inbound flow')
          break
        case 'forget': {
          if (action.direction !== 'outbound') { this.#fail('persist-forget', 'sender forgot an inbound flow'); break }
          if (!w.ids.release(action.packetId)) this.#fail('id-table-mismatch', `forget #${action.packetId} freed an id that was not in flight`, true)
          if (msg !== undefined) w.outcomes[msg] = action.outcome
          break
        }
        case 'deliver':
          this.#fail('wrong-message', 'the sender delivered a message')
          break
        case 'send': {
          const p = action.packet
          sent.push(p)
          if (p.type === 'publish') this.#checkSenderPublish(p, context)
          if (p.type === 'pubrel' && msg !== undefined) w.relSent.add(msg)
          if (injected) w.absorbed.push(p)
          else w.toReceiver.push({ packet: p, injected: false })
          break
        }
      }
    }
    return sent
  }

  #checkSenderPublish (p: PublishPacket, context: 'start' | 'ack' | 'resume' | 'lost'): void {
    const n = messageNumber(p.payload)
    const original = this.#config.messages[n]
    if (original === undefined || original.qos !== p.qos || original.topic !== p.topic) this.#fail('wrong-message', `sender sent ${describePacket(p)} which is no published message`)
    if (this.#w.relSent.has(n)) this.#fail('publish-after-pubrel', `${describePacket(p)} sent after m${n}'s PUBREL (v5 [MQTT-4.3.3-6], v3.1.1 [MQTT-4.3.3-1])`, true)
    if (context === 'start') {
      if (p.dup) this.#fail('dup-flag', `first ${describePacket(p)} has DUP 1 (v5 [MQTT-4.3.2-2] [MQTT-4.3.3-2] [MQTT-3.3.1-2])`, true)
    } else if (context === 'resume') {
      if (!p.dup) this.#fail('dup-flag', `resent ${describePacket(p)} has DUP 0 (v5 [MQTT-3.3.1-1])`, true)
    } else {
      this.#fail('resend-outside-resume', `${describePacket(p)} sent on ${context === 'lost' ? 'connectionLost' : 'an acknowledgement'} (v5 [MQTT-4.4.0-1])`, true)
    }
  }

  /** Runs a receiver's actions; returns the packets it sent. */
  #runReceiverActions (actions: readonly Action[], injected: boolean): Packet[] {
    const w = this.#w
    const sent: Packet[] = []
    for (const action of actions) {
      switch (action.type) {
        case 'persist':
          if (action.direction !== 'inbound') this.#fail('persist-forget', 'receiver persisted an outbound flow')
          break
        case 'forget':
          if (action.direction !== 'inbound') this.#fail('persist-forget', 'receiver forgot an outbound flow')
          break
        case 'deliver':
          this.#deliver(action.message, action.packetId)
          break
        case 'send':
          sent.push(action.packet)
          if (injected) w.absorbed.push(action.packet)
          else w.toSender.push({ packet: action.packet, injected: false })
          break
      }
    }
    return sent
  }

  #deliver (message: ApplicationMessage, packetId: PacketId | undefined): void {
    const w = this.#w
    const n = messageNumber(message.payload)
    const original = this.#config.messages[n]
    if (original === undefined || original.qos !== message.qos || original.topic !== message.topic || original.retain !== message.retain || !original.payload.equals(message.payload)) {
      throw new Violation('wrong-message', `delivered ${message.topic} ${message.payload.toString()} q${message.qos}, which was never published`)
    }
    if (message.qos > 0 && packetId === undefined) this.#fail('wrong-message', `QoS ${message.qos} m${n} delivered without its packet id`, true)
    if (original.qos > 0 && this.#config.refuse?.get(n) !== undefined) throw new Violation('refused-delivered', `refused m${n} was delivered (v5 [MQTT-4.3.2-4] [MQTT-4.3.3-8])`)
    const count = (w.delivered[n] ?? 0) + 1
    w.delivered[n] = count
    if (count > 1 && original.qos === 0) throw new Violation('qos0-duplicate', `QoS 0 m${n} delivered twice (at most once, v5 [MQTT-4.3.1-1])`)
    if (count > 1 && original.qos === 2) throw new Violation('qos2-duplicate', `QoS 2 m${n} delivered twice (v5 [MQTT-4.3.3-10], v3.1.1 [MQTT-4.3.3-2])`)
    if (count === 1) {
      this.#config.messages.forEach((m, later) => {
        if (later > n && m.qos === original.qos && (w.delivered[later] ?? 0) > 0) {
          throw new Violation('delivery-order', `QoS ${m.qos} m${n} first delivered after m${later} (4.6 ordering)`)
        }
      })
    }
    if (original.qos === 1) {
      const at = w.q1Last.indexOf(n)
      if (at >= 0) w.q1Last.splice(at, 1)
      w.q1Last.push(n)
    }
  }

  #setInbound (id: number, state: InboundFlow | undefined): void {
    if (state === undefined) this.#w.inbound.delete(id)
    else this.#w.inbound.set(id, state)
  }

  /**
   * ARCHITECTURE rule 4 and the meaning of the actions: a flow that changes phase is persisted
   * (before anything is sent), a flow that ends is forgotten, and only an ending flow is.
   */
  #checkPersistForget (side: 'sender' | 'receiver', before: OutboundFlow | InboundFlow | undefined, result: Transition<OutboundFlow | InboundFlow>, id: number): void {
    if (!this.#protocol) return
    const after = result.state
    const actions = result.actions
    const forgets = actions.filter(a => a.type === 'forget')
    const persistAt = actions.findIndex(a => a.type === 'persist')
    const firstSend = actions.findIndex(a => a.type === 'send')
    if (after !== undefined && after.packetId !== id) throw new Violation('persist-forget', `${side} flow for #${id} came back as #${after.packetId}`)
    if (after !== undefined && (before === undefined || before.state !== after.state)) {
      const persisted = actions[persistAt]
      if (persisted?.type !== 'persist' || persisted.flow.state !== after.state || persisted.flow.packetId !== id || (firstSend >= 0 && firstSend < persistAt)) {
        throw new Violation('persist-forget', `${side} moved #${id} to ${after.state} without persisting it before sending: ${actions.map(describeAction).join(',')}`)
      }
    }
    if (before !== undefined && after === undefined) {
      if (forgets.length !== 1 || forgets[0]?.packetId !== id) throw new Violation('persist-forget', `${side} ended #${id} without forgetting it: ${actions.map(describeAction).join(',')}`)
    } else if (forgets.length > 0) {
      throw new Violation('persist-forget', `${side} forgot #${id} but kept a flow: ${actions.map(describeAction).join(',')}`)
    }
  }

  checkIdTable (): void {
    if (!this.#protocol) return
    const ids = this.#w.ids.inFlight().join(',')
    const table = [...this.#w.out.keys()].sort((a, b) => a - b).join(',')
    if (ids !== table) throw new Violation('id-table-mismatch', `allocator has [${ids}] in flight, outbound table has [${table}]`)
  }
}

export function describeAction (a: Action): string {
  switch (a.type) {
    case 'persist': return `persist(${a.direction} ${a.flow.state} #${a.flow.packetId})`
    case 'send': return `send ${describePacket(a.packet)}`
    case 'deliver': return `deliver(m${messageNumber(a.message.payload)})`
    case 'forget': return `forget(${a.direction} #${a.packetId})`
  }
}
