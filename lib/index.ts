/** qosmos: the public API. */
export * from './core/errors.js'
export type { Clock } from './core/clock.js'
export type * from './protocol/packets.js'
export type { ApplicationMessage, FlowOutcome } from './qos/types.js'
export { connect } from './client/index.js'
export { Client, Subscription } from './client/index.js'
export type {
  AuthChallenge, AuthHandler, ClientEventMap, ClientOptions, EndOptions, Message, PublishOptions, QoSInput, ReconnectOptions,
  SubscribeOptions, UnsubscribeOptions, WillOptions
} from './client/index.js'
export type { ClientQueuedMessage, ClientStore } from './persistence/contract-client.js'
