/**
 * The broker's view of one client id: the lib/session Session (in-flight tables, queue), the
 * connection carrying it now (if any), the will, and the session expiry. Subscriptions live in
 * the broker's topic tree, keyed by the client id.
 *
 * It is the Session itself, extended, rather than an object holding one: a broker keeps one per
 * client, most of them idle, and one object (with the session options shared by the broker's
 * sessions, see SessionRegistry) costs a few hundred bytes less per client than two and a
 * per-session error callback (bench/micro/idle-heap.ts).
 */
import type { TimerHandle } from '../core/clock.js'
import type { ProtocolVersion, Will } from '../protocol/packets.js'
import { Session } from '../session/session.js'
import type { SessionOptions } from '../session/types.js'
import type { Connection } from './connection.js'
import type { ClientInfo } from './options.js'

/** Session Expiry Interval meaning "never expires" (v5 0xFFFFFFFF; 3.1.1 Clean Session 0). */
export const NEVER_EXPIRES = 0xffffffff

export class ClientSession extends Session {
  connection: Connection | undefined
  /** The client as its latest CONNECT described it; its client id never changes. */
  info: ClientInfo
  /** Seconds the session outlives its connection (v5 3.1.2.11.2); 0 ends it with the connection. */
  expiryInterval = 0
  expiryTimer: TimerHandle | undefined
  will: Will | undefined
  willTimer: TimerHandle | undefined
  /** A will whose delay is running, waiting to be published (v5 3.1.3.2.2). */
  pendingWill: Will | undefined
  ended = false
  /** The session is written to the store (it had a Session Expiry Interval above 0 when it began). */
  persistent = false

  constructor (info: ClientInfo, options: SessionOptions) {
    super(options)
    this.info = info
  }

  get clientId (): string { return this.info.clientId }
  get protocolVersion (): ProtocolVersion { return this.info.protocolVersion }
}
