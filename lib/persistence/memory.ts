/**
 * The memory backend: keeps everything in Maps, completes every change synchronously (so the
 * session's fast path allocates no promise) and loses everything with the process. Flow objects
 * are immutable, so they are stored as given.
 */
import { StorageError } from '../core/errors.js'
import type { PacketId } from '../core/ids.js'
import type { InboundFlow, OutboundFlow } from '../qos/types.js'
import type { PersistenceBackend, RestoredFlows, SessionFlowStore } from './contract.js'

interface SessionFlows {
  /** Map order is insertion order: a replaced record keeps its place, a new id goes last. */
  readonly outbound: Map<number, OutboundFlow>
  readonly inbound: Map<number, InboundFlow>
}

/** What the backend and the stores it hands out share. */
interface MemoryState {
  readonly sessions: Map<string, SessionFlows>
  closed: boolean
}

export class MemoryBackend implements PersistenceBackend {
  readonly #state: MemoryState = { sessions: new Map(), closed: false }

  flowStore (clientId: string): SessionFlowStore {
    return new MemoryFlowStore(this.#state, clientId)
  }

  async close (): Promise<void> {
    this.#state.closed = true
    this.#state.sessions.clear()
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
