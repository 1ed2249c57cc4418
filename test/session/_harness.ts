/**
 * Test doubles for driving a Session without sockets or a wall clock: a fake connection that
 * records what is sent and delivered, and a store that records its calls into the same log, can
 * hold each call open until the test releases it, and can be told to fail.
 */
import { ManualClock } from '../../lib/core/clock.js'
import type { PacketId } from '../../lib/core/ids.js'
import type { RestoredFlows, SessionFlowStore } from '../../lib/persistence/contract.js'
import { MemoryBackend } from '../../lib/persistence/memory.js'
import type { Packet, PublishPacket, QoS } from '../../lib/protocol/packets.js'
import type { ApplicationMessage, InboundFlow, OutboundFlow } from '../../lib/qos/types.js'
import { Session } from '../../lib/session/session.js'
import type { SessionIo, SessionOptions } from '../../lib/session/types.js'

/** Promises the test resolves by hand, in the order it chooses. */
export class Gate {
  readonly #waiting: Array<{ resolve: () => void, reject: (error: Error) => void }> = []
  get waiting (): number { return this.#waiting.length }
  hold (): Promise<void> {
    return new Promise((resolve, reject) => { this.#waiting.push({ resolve, reject }) })
  }

  /** Resolves the oldest held promise and lets its continuation run. */
  async releaseOne (): Promise<void> {
    this.#waiting.shift()?.resolve()
    await settle()
  }

  async rejectOne (error: Error): Promise<void> {
    this.#waiting.shift()?.reject(error)
    await settle()
  }

  /** Releases held promises until none is held any more (new ones included). */
  async releaseAll (): Promise<void> {
    await settle()
    while (this.#waiting.length > 0) await this.releaseOne()
  }
}

/** Lets pending promise continuations run. */
export async function settle (): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

/** One log for store calls, sends and deliveries, to check their relative order. */
export type Log = string[]

export function describePacket (packet: Packet): string {
  switch (packet.type) {
    case 'publish': return `send publish${packet.packetId === undefined ? '' : ` ${packet.packetId}`}${packet.dup ? ' dup' : ''} ${packet.topic}`
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      return `send ${packet.type} ${packet.packetId}${packet.reasonCode === undefined || packet.reasonCode === 0 ? '' : ` 0x${packet.reasonCode.toString(16)}`}`
    default: return `send ${packet.type}`
  }
}

export class FakeIo implements SessionIo {
  readonly sent: Packet[] = []
  readonly delivered: Array<{ message: ApplicationMessage, packetId: PacketId | undefined }> = []
  /** When set, every delivery waits on this gate. */
  gate: Gate | undefined
  /** When set, a delivery of this topic throws it. */
  failTopic: { topic: string, error: Error } | undefined
  onDeliver: ((message: ApplicationMessage) => void) | undefined
  readonly #log: Log
  constructor (log: Log = []) { this.#log = log }

  send (packet: Packet): void {
    this.sent.push(packet)
    this.#log.push(describePacket(packet))
  }

  deliver (message: ApplicationMessage, packetId?: PacketId): void | Promise<void> {
    this.#log.push(`deliver ${message.topic}`)
    if (this.failTopic?.topic === message.topic) throw this.failTopic.error
    this.delivered.push({ message, packetId })
    this.onDeliver?.(message)
    return this.gate?.hold()
  }

  /** The sent packets in the compact form of the log. */
  get lines (): string[] { return this.sent.map(describePacket) }
}

type StoreCall = keyof SessionFlowStore

/** Records each call into the log, then forwards it to a memory store. */
export class RecordingStore implements SessionFlowStore {
  readonly inner: SessionFlowStore
  readonly #log: Log
  /** When set, every recording call waits on this gate before it takes effect. */
  gate: Gate | undefined
  /** A call that should fail, and how. */
  fail: { call: StoreCall, error: unknown, async?: boolean } | undefined
  /** Calls currently waiting on the gate, to check that they never overlap. */
  inFlight = 0
  maxInFlight = 0

  constructor (log: Log = [], inner: SessionFlowStore = new MemoryBackend().flowStore('client')) {
    this.#log = log
    this.inner = inner
  }

  outboundFlowChanged (flow: OutboundFlow): void | Promise<void> {
    return this.#call('outboundFlowChanged', `${flow.packetId} ${flow.state}`, () => this.inner.outboundFlowChanged(flow))
  }

  outboundFlowEnded (packetId: PacketId): void | Promise<void> {
    return this.#call('outboundFlowEnded', `${packetId}`, () => this.inner.outboundFlowEnded(packetId))
  }

  inboundFlowStarted (flow: InboundFlow): void | Promise<void> {
    return this.#call('inboundFlowStarted', `${flow.packetId}`, () => this.inner.inboundFlowStarted(flow))
  }

  inboundFlowEnded (packetId: PacketId): void | Promise<void> {
    return this.#call('inboundFlowEnded', `${packetId}`, () => this.inner.inboundFlowEnded(packetId))
  }

  restoreFlows (): Promise<RestoredFlows> { return this.inner.restoreFlows() }

  discardFlows (): void | Promise<void> {
    return this.#call('discardFlows', '', () => this.inner.discardFlows())
  }

  #call (call: StoreCall, detail: string, apply: () => void | Promise<void>): void | Promise<void> {
    this.#log.push(`store ${call}${detail === '' ? '' : ` ${detail}`}`)
    const fail = this.fail
    if (fail?.call === call) {
      this.fail = undefined
      if (fail.async === true) return Promise.reject(fail.error)
      throw fail.error
    }
    const gate = this.gate
    if (gate === undefined) return apply()
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    return gate.hold().then(async () => {
      this.inFlight--
      await apply()
      this.#log.push(`stored ${call}${detail === '' ? '' : ` ${detail}`}`)
    })
  }
}

export function message (topic: string, qos: QoS, extra: Partial<ApplicationMessage> = {}): ApplicationMessage {
  return { topic, payload: Buffer.from(topic), qos, retain: false, ...extra }
}

export function publishPacket (topic: string, qos: QoS, packetId?: number, dup = false): PublishPacket {
  const base = { type: 'publish' as const, topic, payload: Buffer.from(topic), qos, retain: false, dup }
  return packetId === undefined ? base : { ...base, packetId }
}

export interface Harness {
  readonly session: Session
  readonly io: FakeIo
  readonly store: RecordingStore
  readonly log: Log
  readonly errors: Error[]
  readonly clock: ManualClock
  /** Results given to `done` callbacks, by a label chosen by the test. */
  readonly outcomes: Map<string, Error | undefined>
  done (label: string): (error: Error | undefined) => void
}

export function harness (options: Omit<SessionOptions, 'store' | 'clock' | 'onError'> = {}, inner?: SessionFlowStore): Harness {
  const log: Log = []
  const errors: Error[] = []
  const clock = new ManualClock(1_000_000)
  const recording = new RecordingStore(log, inner)
  const outcomes = new Map<string, Error | undefined>()
  const session = new Session({ ...options, store: recording, clock, onError: (error) => { errors.push(error) } })
  return {
    session,
    io: new FakeIo(log),
    store: recording,
    log,
    errors,
    clock,
    outcomes,
    done: (label) => (error) => {
      if (outcomes.has(label)) throw new Error(`done called twice for ${label}`)
      outcomes.set(label, error)
    }
  }
}
