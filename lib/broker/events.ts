/**
 * Typed broker events, and the node:diagnostics_channel channels that carry the same facts to
 * tracers without any hook (ARCHITECTURE rule 10). Channels publish only when subscribed.
 */
import diagnostics from 'node:diagnostics_channel'
import type { ApplicationMessage } from '../qos/types.js'
import type { ClientInfo } from './options.js'

export interface BrokerEventMap {
  /** A client's CONNECT was accepted. */
  connect: [client: ClientInfo, sessionPresent: boolean]
  /** A client's connection ended; `reason` is why, when it was not a clean DISCONNECT. */
  disconnect: [client: ClientInfo, reason: Error | undefined]
  subscribe: [client: ClientInfo, subscriptions: ReadonlyArray<{ readonly topicFilter: string, readonly qos: number }>]
  unsubscribe: [client: ClientInfo, topicFilters: readonly string[]]
  /** A message accepted for routing (from a client, a will, or $SYS). */
  publish: [message: ApplicationMessage, client: ClientInfo | undefined]
  /** A storage or hook failure that closed a connection. */
  clientError: [client: ClientInfo | undefined, error: Error]
}

export const channels = {
  connect: diagnostics.channel('qosmos:broker:connect'),
  disconnect: diagnostics.channel('qosmos:broker:disconnect'),
  subscribe: diagnostics.channel('qosmos:broker:subscribe'),
  publish: diagnostics.channel('qosmos:broker:publish')
} as const
