/** qosmos: the public API. */
export * from './core/errors.js'
export type { Clock } from './core/clock.js'
export type * from './protocol/packets.js'
export type { ApplicationMessage, FlowOutcome } from './qos/types.js'
