export type { FlowStoreFactory, PersistenceBackend, RestoredFlows, SessionFlowStore } from './contract.js'
export { MemoryBackend } from './memory.js'
export type {
  BrokerPersistence, BrokerStateStore, QueuedMessage, QueueStoreFactory, RestoredSession, SessionQueueStore,
  StoredRetained, StoredSession, StoredSubscription
} from './contract-broker.js'
