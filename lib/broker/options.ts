/**
 * What an embedding application (or the CLI) configures on a broker. Every field is optional:
 * `createBroker()` with no options is a working in-memory broker that allows everything.
 */
import type { Clock } from '../core/clock.js'
import type { BrokerPersistence } from '../persistence/contract-broker.js'
import type { QoS, UserProperties } from '../protocol/packets.js'
import type { ApplicationMessage } from '../qos/types.js'

/** The client as hooks see it. */
export interface ClientInfo {
  readonly clientId: string
  readonly username: string | undefined
  readonly protocolVersion: 3 | 4 | 5
  /** Remote address, when the transport has one. */
  readonly remoteAddress: string | undefined
  /** The client's TLS certificate (peer certificate), when it presented one. */
  readonly certificate: Readonly<Record<string, unknown>> | undefined
}

/** What the authenticate hook decides on: the client and the password it sent. */
export interface AuthenticateRequest extends ClientInfo {
  readonly password: Buffer | undefined
}

/**
 * A hook's refusal: a v5 reason code >= 0x80 (mapped to the nearest 3.1.1 return code for
 * older clients) and an optional reason string (sent only when the client asked for problem
 * information).
 */
export interface Refusal {
  readonly reasonCode: number
  readonly reasonString?: string
  /** v5 Server Reference, with reason 0x9C (use another server) or 0x9D (server moved). */
  readonly serverReference?: string
}

export type Decision = true | Refusal

/** v5 enhanced authentication: one step of the exchange named by Authentication Method. */
export interface EnhancedAuthStep {
  readonly method: string
  readonly data: Buffer | undefined
  /** True on re-authentication of a connected client (AUTH with reason 0x19). */
  readonly reauthenticate: boolean
  readonly client: { readonly clientId: string, readonly username: string | undefined }
}

export type EnhancedAuthResult =
  | { readonly done: true, readonly data?: Buffer }
  | { readonly done: false, readonly data?: Buffer }
  | Refusal

export interface BrokerHooks {
  /** CONNECT: allow, or refuse with a reason code (v5 0x86 bad user name or password, 0x87 not authorized, ...). */
  authenticate?: (request: AuthenticateRequest) => Decision | Promise<Decision>
  /** v5 AUTH exchange (and re-authentication), for clients that send an Authentication Method. */
  enhancedAuthenticate?: (step: EnhancedAuthStep) => EnhancedAuthResult | Promise<EnhancedAuthResult>
  /** A PUBLISH from a client: allow, or refuse (v5 0x87 not authorized). */
  authorizePublish?: (client: ClientInfo, message: ApplicationMessage) => Decision | Promise<Decision>
  /** One filter of a SUBSCRIBE: the QoS to grant (may downgrade), or a refusal. */
  authorizeSubscribe?: (client: ClientInfo, subscription: { readonly topicFilter: string, readonly qos: QoS }) => QoS | Refusal | Promise<QoS | Refusal>
  /** Whether a routed message may be delivered to this subscriber. */
  authorizeForward?: (client: ClientInfo, message: ApplicationMessage) => boolean | Promise<boolean>
  /** Told of every message accepted for routing (after authorization). */
  published?: (message: ApplicationMessage, client: ClientInfo | undefined) => void | Promise<void>
}

/** The minimal logger interface (pino's). */
export interface Logger {
  debug (obj: object, msg?: string): void
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

export interface BrokerLimits {
  /** Largest Keep Alive a client may use, in seconds; a larger or zero value is replaced by this (Server Keep Alive, v5). Default: none. */
  readonly maxKeepAlive?: number
  /** Receive Maximum advertised to clients: their unacknowledged QoS 1/2 PUBLISH packets. Default 1024. */
  readonly receiveMaximum?: number
  /** Largest packet accepted from a client, in bytes. Default 1 MiB. */
  readonly maxPacketSize?: number
  /** Topic Alias Maximum advertised to v5 clients. Default 64. */
  readonly topicAliasMaximum?: number
  /** Messages queued per session beyond the in-flight window. Default 10,000. */
  readonly maxQueuedMessages?: number
  /** Bytes (payload + topic) queued per session. Default 64 MiB. */
  readonly maxQueuedBytes?: number
  /** Queue QoS 0 messages for offline persistent sessions (as mosquitto's queue_qos0_messages). Default false. */
  readonly queueQos0Offline?: boolean
  /** Largest Session Expiry Interval granted, in seconds. Default: no limit. */
  readonly maxSessionExpiryInterval?: number
  /** Maximum QoS granted to subscriptions and accepted on PUBLISH. Default 2. */
  readonly maximumQoS?: QoS
  /** Whether retained messages are supported. Default true. */
  readonly retainAvailable?: boolean
  /**
   * Unacknowledged QoS 1/2 messages the broker sends a 3.1.1 client at a time (3.1.1 has no
   * Receive Maximum; v5 clients state theirs, which is honoured instead). Default 1024.
   */
  readonly maxInflight?: number
}

export interface BrokerOptions extends BrokerLimits {
  readonly hooks?: BrokerHooks
  readonly logger?: Logger
  readonly clock?: Clock
  /**
   * Where sessions, subscriptions, queues, in-flight flows and retained messages are kept
   * (lib/persistence). Default: a fresh MemoryBackend, closed with the broker. A backend passed
   * here is restored from on start and flushed, not closed, on `close()`: it belongs to the caller.
   */
  readonly persistence?: BrokerPersistence
  /** Seconds between $SYS publications; 0 disables them. Default 10. */
  readonly sysInterval?: number
  /** User properties added to every CONNACK (v5). */
  readonly connackUserProperties?: UserProperties
  /**
   * Topic names whose subscription matches are kept (an LRU cache, cleared by every subscription
   * change; a topic enters on its second miss, and the cache steps aside while its hit rate is
   * low, see lib/broker/topic-tree-cache.ts). A repeated topic is then routed without walking
   * the topic tree or allocating a match. 0 disables it. Default 1024.
   */
  readonly matchCacheSize?: number
}

export interface ListenOptions {
  readonly port?: number
  readonly host?: string
}

export interface TcpListenOptions extends ListenOptions {
  /**
   * How accepted connections are served: 'raw' (default) on bare libuv TCP handles, a quarter
   * of the memory of a `net.Socket` per connection and fewer steps per packet; 'net' on
   * `net.Socket`. Where node does not expose its TCP handles, 'raw' falls back to 'net'.
   */
  readonly sockets?: 'raw' | 'net'
}

export interface TlsListenOptions extends ListenOptions {
  readonly key: string | Buffer
  readonly cert: string | Buffer
  readonly ca?: string | Buffer
  /** Ask clients for a certificate (verified against `ca`). */
  readonly requestCert?: boolean
  readonly rejectUnauthorized?: boolean
}

export interface WebSocketListenOptions extends ListenOptions {
  /** Attach to an existing http or https server instead of opening a port. */
  readonly server?: import('node:http').Server | import('node:https').Server
  /** URL path to accept; default any. */
  readonly path?: string
}
