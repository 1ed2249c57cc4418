/** qosmos: the public API. */
export * from './core/errors.js'
export type { Clock } from './core/clock.js'
export type * from './protocol/packets.js'
export type { ApplicationMessage, FlowOutcome } from './qos/types.js'
export { createBroker, createMemoryPair } from './broker/index.js'
export type { Broker, BrokerEventMap, ListenerAddress } from './broker/index.js'
export type {
  AuthenticateRequest, BrokerHooks, BrokerLimits, BrokerOptions, ClientInfo, Decision, EnhancedAuthResult, EnhancedAuthStep,
  ListenOptions, Logger, Refusal, TcpListenOptions, TlsListenOptions, WebSocketListenOptions
} from './broker/options.js'
export { MemoryBackend } from './persistence/memory.js'
export { openLmdbBackend, LmdbBackend, type LmdbOptions } from './persistence/lmdb.js'
export type * from './persistence/contract-broker.js'
export type { PersistenceBackend, SessionFlowStore, FlowStoreFactory, RestoredFlows } from './persistence/contract.js'
export { connect } from './client/index.js'
export { Client, Subscription } from './client/index.js'
export type {
  AuthChallenge, AuthHandler, ClientEventMap, ClientOptions, EndOptions, Message, PublishOptions, QoSInput, ReconnectOptions,
  SubscribeOptions, UnsubscribeOptions, WillOptions
} from './client/index.js'
export type { ClientQueuedMessage, ClientStore } from './persistence/contract-client.js'
export { memoryClientStore, clientStoreOf } from './persistence/client-memory.js'
export { openLmdbClientStore, type LmdbClientStoreOptions } from './persistence/client-lmdb.js'
