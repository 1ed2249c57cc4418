/**
 * The memory backend: keeps everything in Maps, completes every change synchronously (so the
 * session's fast path allocates no promise) and loses everything with the process. Flow objects
 * are immutable, so they are stored as given.
 */
import { StorageError } from '../core/errors.js'
import type { PacketId } from '../core/ids.js'
import type { InboundFlow, OutboundFlow } from '../qos/types.js'
import type { PersistenceBackend, RestoredFlows, SessionFlowStore } from './contract.js'
import type {
  BrokerPersistence, QueuedMessage, RestoredSession, SessionQueueStore, StoredRetained, StoredSession, StoredSubscription
} from './contract-broker.js'

interface SessionFlows {
  /** Map order is insertion order: a replaced record keeps its place, a new id goes last. */
  readonly outbound: Map<number, OutboundFlow>
  readonly inbound: Map<number, InboundFlow>
}

/** What the backend and the stores it hands out share. */
interface MemoryState {
  /** In-flight flows by client id. */
  readonly sessions: Map<string, SessionFlows>
  /** Queued messages by client id, in seq order (Map order is insertion order). */
  readonly queues: Map<string, Map<number, QueuedMessage>>
  readonly records: Map<string, StoredSession>
  readonly subscriptions: Map<string, Map<string, StoredSubscription>>
  readonly retained: Map<string, StoredRetained>
  closed: boolean
}

/**
 * Keeps everything in Maps. One instance handed to two brokers in turn (the first closed before
 * the second starts) behaves like a restart on the same store: the broker does not close a
 * backend it was given.
 */
export class MemoryBackend implements PersistenceBackend, BrokerPersistence {
  readonly #state: MemoryState = { sessions: new Map(), queues: new Map(), records: new Map(), subscriptions: new Map(), retained: new Map(), closed: false }

  flowStore (clientId: string): SessionFlowStore {
    return new MemoryFlowStore(this.#state, clientId)
  }

  queueStore (clientId: string): SessionQueueStore {
    return new MemoryQueueStore(this.#state, clientId)
  }

  sessionSaved (session: StoredSession): void {
    this.#open().records.set(session.clientId, session)
  }

  sessionEnded (clientId: string): void {
    const state = this.#open()
    state.records.delete(clientId)
    state.subscriptions.delete(clientId)
    state.queues.delete(clientId)
    state.sessions.delete(clientId)
  }

  subscriptionAdded (clientId: string, subscription: StoredSubscription): void {
    const state = this.#open()
    let subs = state.subscriptions.get(clientId)
    if (subs === undefined) { subs = new Map(); state.subscriptions.set(clientId, subs) }
    subs.set(subscription.topicFilter, subscription)
  }

  subscriptionRemoved (clientId: string, topicFilter: string): void {
    this.#open().subscriptions.get(clientId)?.delete(topicFilter)
  }

  retainedChanged (topic: string, retained: StoredRetained | undefined): void {
    const state = this.#open()
    if (retained === undefined) state.retained.delete(topic)
    else state.retained.set(topic, retained)
  }

  async restoreSessions (): Promise<readonly RestoredSession[]> {
    const state = this.#open()
    return [...state.records.values()].map(session => ({
      session,
      subscriptions: [...state.subscriptions.get(session.clientId)?.values() ?? []]
    }))
  }

  async restoreRetained (): Promise<readonly StoredRetained[]> {
    return [...this.#open().retained.values()]
  }

  async flush (): Promise<void> { this.#open() }

  async close (): Promise<void> {
    const state = this.#state
    state.closed = true
    state.sessions.clear()
    state.queues.clear()
    state.records.clear()
    state.subscriptions.clear()
    state.retained.clear()
  }

  #open (): MemoryState {
    if (this.#state.closed) throw new StorageError('the memory backend is closed')
    return this.#state
  }
}

class MemoryQueueStore implements SessionQueueStore {
  readonly #state: MemoryState
  readonly #clientId: string

  constructor (state: MemoryState, clientId: string) {
    this.#state = state
    this.#clientId = clientId
  }

  messageQueued (entry: QueuedMessage): void {
    const state = this.#open()
    let queue = state.queues.get(this.#clientId)
    if (queue === undefined) { queue = new Map(); state.queues.set(this.#clientId, queue) }
    queue.set(entry.seq, entry)
  }

  queuedMessageRemoved (seq: number): void {
    this.#open().queues.get(this.#clientId)?.delete(seq)
  }

  async restoreQueue (): Promise<readonly QueuedMessage[]> {
    return [...this.#open().queues.get(this.#clientId)?.values() ?? []].sort((a, b) => a.seq - b.seq)
  }

  #open (): MemoryState {
    if (this.#state.closed) throw new StorageError('the memory backend is closed')
    return this.#state
  }
}

class MemoryFlowStore implements SessionFlowStore {
  readonly #state: MemoryState
  readonly #clientId: string

  constructor (state: MemoryState, clientId: string) {
    this.#state = state
    this.#clientId = clientId
  }

  outboundFlowChanged (flow: OutboundFlow): void {
    this.#flows(true)?.outbound.set(flow.packetId, flow)
  }

  outboundFlowEnded (packetId: PacketId): void {
    this.#flows(false)?.outbound.delete(packetId)
  }

  inboundFlowStarted (flow: InboundFlow): void {
    this.#flows(true)?.inbound.set(flow.packetId, flow)
  }

  inboundFlowEnded (packetId: PacketId): void {
    this.#flows(false)?.inbound.delete(packetId)
  }

  async restoreFlows (): Promise<RestoredFlows> {
    const flows = this.#flows(false)
    return { outbound: [...flows?.outbound.values() ?? []], inbound: [...flows?.inbound.values() ?? []] }
  }

  discardFlows (): void {
    this.#open()
    this.#state.sessions.delete(this.#clientId)
  }

  /** The flows of this session; created on first write, so reads and ends never create one. */
  #flows (create: boolean): SessionFlows | undefined {
    this.#open()
    let flows = this.#state.sessions.get(this.#clientId)
    if (flows === undefined && create) {
      flows = { outbound: new Map(), inbound: new Map() }
      this.#state.sessions.set(this.#clientId, flows)
    }
    return flows
  }

  #open (): void {
    if (this.#state.closed) throw new StorageError('the memory backend is closed')
  }
}
