/** What the broker knows about a connection, by phase (named for what it waits for). */
import type { ConnectPacket } from '../protocol/packets.js'
import type { ClientSession } from './client-session.js'
import type { ClientInfo } from './options.js'
import type { InboundTopicAliases } from './topic-alias.js'

export type ConnectionState =
  /** CONNECT received; its authentication or session set-up is under way. */
  | { readonly phase: 'AwaitingAcceptance' }
  /** v5 enhanced authentication: waiting for the client's next AUTH. */
  | { readonly phase: 'AwaitingAuth', readonly connect: ConnectPacket, readonly info: ClientInfo, readonly method: string }
  /** CONNACK 0x00 sent: the session is attached. */
  | { readonly phase: 'Connected', readonly cs: ClientSession, readonly aliasesIn: InboundTopicAliases, reauth: string | undefined, normalDisconnect: boolean }
  /** CONNACK refused: the connection is closing; later packets are ignored (v5 [MQTT-3.1.4-6]). */
  | { readonly phase: 'Refused' }
