/**
 * The client store in memory, and the adapter that makes a client store out of any backend that
 * hands out flow and queue stores by client id (the memory and lmdb backends both do).
 */
import type { StorageFullError } from '../core/errors.js'
import type { ClientStore } from './contract-client.js'
import type { FlowStoreFactory } from './contract.js'
import type { QueueStoreFactory } from './contract-broker.js'
import { MemoryBackend } from './memory.js'

export interface ClientStoreBackend extends FlowStoreFactory, QueueStoreFactory {
  close (): Promise<void>
  checkRoom? (messageBytes: number): StorageFullError | undefined
}

/** The client store of `clientId` in `backend`; closing it closes the backend. */
export function clientStoreOf (backend: ClientStoreBackend, clientId: string): ClientStore {
  const flows = backend.flowStore(clientId)
  const queue = backend.queueStore(clientId)
  return {
    outboundFlowChanged: (flow) => flows.outboundFlowChanged(flow),
    outboundFlowEnded: (packetId) => flows.outboundFlowEnded(packetId),
    inboundFlowStarted: (flow) => flows.inboundFlowStarted(flow),
    inboundFlowEnded: (packetId) => flows.inboundFlowEnded(packetId),
    restoreFlows: async () => await flows.restoreFlows(),
    discardFlows: () => flows.discardFlows(),
    messageQueued: (entry) => queue.messageQueued(entry),
    queuedMessageRemoved: (seq) => queue.queuedMessageRemoved(seq),
    restoreQueue: async () => await queue.restoreQueue(),
    close: async () => { await backend.close() },
    ...(backend.checkRoom === undefined ? {} : { checkRoom: (bytes: number) => backend.checkRoom?.(bytes) })
  }
}

/** A client store that lives and dies with the process (what the client uses when given none, made explicit). */
export function memoryClientStore (): ClientStore {
  return clientStoreOf(new MemoryBackend(), 'client')
}
