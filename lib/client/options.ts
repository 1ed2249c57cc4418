/**
 * What `connect(url, options)` accepts, and how loose user input (QoS names, protocol names)
 * becomes the packet model's values.
 */
import type { Duplex } from 'node:stream'
import type { Clock } from '../core/clock.js'
import { InvalidArgumentError } from '../core/errors.js'
import type { ClientStore } from '../persistence/contract-client.js'
import type { ConnectProperties, MessageProperties, ProtocolVersion, PublishProperties, QoS, SubscribeProperties, UnsubscribeProperties, UserProperties, WillProperties } from '../protocol/packets.js'
import type { DialTlsOptions } from '../transport/dial.js'

/** QoS as a number or as the guarantee's name. */
export type QoSInput = QoS | 'at-most-once' | 'at-least-once' | 'exactly-once'

export function toQos (qos: QoSInput | undefined, fallback: QoS = 0): QoS {
  switch (qos) {
    case undefined: return fallback
    case 0: case 'at-most-once': return 0
    case 1: case 'at-least-once': return 1
    case 2: case 'exactly-once': return 2
    default: throw new InvalidArgumentError(`qos must be 0, 1, 2, 'at-most-once', 'at-least-once' or 'exactly-once', got ${JSON.stringify(qos)}`)
  }
}

/** Reconnect policy: delay = min(maxDelay, initialDelay * multiplier^(attempt-1)), less up to `jitter` of it at random. */
export interface ReconnectOptions {
  /** ms before the first retry; default 1000. */
  readonly initialDelay?: number
  /** ms cap; default 30000. */
  readonly maxDelay?: number
  /** default 2. */
  readonly multiplier?: number
  /** 0..1: the share of each delay taken off at random (full jitter is 1); default 0.5. */
  readonly jitter?: number
  /** Give up after this many failed attempts in a row; default unlimited. */
  readonly maxAttempts?: number
}

export interface WillOptions {
  readonly topic: string
  readonly payload: Buffer | string
  readonly qos?: QoSInput
  readonly retain?: boolean
  readonly properties?: WillProperties
}

/** An AUTH step of v5 enhanced authentication (v5 4.12): what the server sent, and what to answer. */
export interface AuthChallenge {
  readonly method: string
  readonly data: Buffer | undefined
  /** 0x18 Continue authentication from the server. */
  readonly reasonCode: number
}

export type AuthHandler = (challenge: AuthChallenge) => Promise<Buffer | undefined> | Buffer | undefined

export interface ClientOptions {
  /** 'mqttv5' / 5 (default), 'mqttv311' / 4, 'mqttv31' / 3. */
  readonly protocolVersion?: ProtocolVersion | 'mqttv5' | 'mqttv311' | 'mqttv31'
  /** Default: a random `qosmos_` id. In v5 '' asks the server to assign one, which is then reused on reconnect. */
  readonly clientId?: string
  /** Clean Start (v5) on the first connection / Clean Session (3.1.1) on every connection; default true, false with a `store`. */
  readonly clean?: boolean
  /** Seconds; default 60; 0 turns keep alive off. A v5 Server Keep Alive replaces it. */
  readonly keepAlive?: number
  /** ms to wait for PINGRESP before the link counts as dead; default min(keepAlive, 30 s). */
  readonly pingTimeout?: number
  /** ms to wait for CONNACK; default 30000. */
  readonly connectTimeout?: number
  readonly username?: string
  readonly password?: Buffer | string
  readonly will?: WillOptions
  /** v5 CONNECT properties other than the ones below; userProperties etc. */
  readonly properties?: Omit<ConnectProperties, 'receiveMaximum' | 'maximumPacketSize' | 'topicAliasMaximum' | 'authenticationMethod' | 'authenticationData'>
  /** v5: how many QoS 1/2 messages the server may have unacknowledged towards us; default 65535. */
  readonly receiveMaximum?: number
  /** v5: largest packet we accept; announced to the server and enforced by our decoder. */
  readonly maximumPacketSize?: number
  /** v5: how many topic aliases the server may use towards us; default 0. */
  readonly topicAliasMaximum?: number
  /** v5: use topic aliases for our PUBLISH packets, up to the server's Topic Alias Maximum, least recently used replaced; default true. */
  readonly autoTopicAlias?: boolean
  /** v5 enhanced authentication: method, first data, and the handler for each AUTH challenge. */
  readonly authenticationMethod?: string
  readonly authenticationData?: Buffer
  readonly onAuth?: AuthHandler
  /** `false` turns reconnecting off; default on with the ReconnectOptions defaults. */
  readonly reconnect?: boolean | ReconnectOptions
  /** v5: follow a Server Reference in CONNACK or DISCONNECT 0x9C/0x9D; default false. */
  readonly followServerReference?: boolean
  /** Resubscribe when the server did not keep the session; default true. */
  readonly resubscribe?: boolean
  /** Offline queue bound in messages (default 1000) and bytes of payload + topic (default 16 MiB). */
  readonly maxQueuedMessages?: number
  readonly maxQueuedBytes?: number
  /** Queue QoS 0 publications while offline (default true, as MQTT.js); else they reject with NotConnectedError. */
  readonly queueQoSZero?: boolean
  /**
   * 'after-processing': a QoS 1/2 message is acknowledged only once every 'message' handler has
   * resolved and every matching subscription iterator has moved past it. Default 'on-receipt'.
   */
  readonly acknowledge?: 'on-receipt' | 'after-processing'
  /**
   * Where in-flight flows both ways and the offline queue are kept (memoryClientStore,
   * openLmdbClientStore); default in memory, lost with the process. Owned by the caller: `end()`
   * does not close it. With a durable store and the same clientId a restarted process completes
   * its in-flight publications and never delivers an inbound QoS 2 message twice.
   */
  readonly store?: ClientStore
  /** Any duplex instead of dialing the URL; a function is called for each (re)connection. */
  readonly stream?: Duplex | (() => Duplex | Promise<Duplex>)
  /** TLS for mqtts:// and wss://. */
  readonly tls?: DialTlsOptions
  /** WebSocket path when the URL has none; default '/mqtt'. */
  readonly wsPath?: string
  readonly clock?: Clock
  /** For the reconnect jitter; default Math.random. */
  readonly random?: () => number
}

export interface PublishOptions {
  readonly qos?: QoSInput
  readonly retain?: boolean
  readonly properties?: Omit<PublishProperties, 'topicAlias' | 'subscriptionIdentifiers'>
}

export interface SubscribeOptions {
  readonly qos?: QoSInput
  readonly noLocal?: boolean
  readonly retainAsPublished?: boolean
  readonly retainHandling?: 0 | 1 | 2
  readonly properties?: SubscribeProperties
}

export interface UnsubscribeOptions {
  readonly properties?: UnsubscribeProperties
}

export interface EndOptions {
  /** v5 DISCONNECT reason code; default 0x00 (0x04 sends the will). */
  readonly reasonCode?: number
  readonly reasonString?: string
  readonly sessionExpiryInterval?: number
  readonly userProperties?: UserProperties
  /** true: close the socket at once, without DISCONNECT or waiting for in-flight flows. */
  readonly force?: boolean
}

export type { MessageProperties }

export function toProtocolVersion (value: ClientOptions['protocolVersion']): ProtocolVersion {
  switch (value) {
    case undefined: case 5: case 'mqttv5': return 5
    case 4: case 'mqttv311': return 4
    case 3: case 'mqttv31': return 3
    default: throw new InvalidArgumentError(`protocolVersion must be 3, 4, 5, 'mqttv31', 'mqttv311' or 'mqttv5', got ${JSON.stringify(value)}`)
  }
}
