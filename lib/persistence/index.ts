export type { FlowStoreFactory, PersistenceBackend, RestoredFlows, SessionFlowStore } from './contract.js'
export { MemoryBackend } from './memory.js'
