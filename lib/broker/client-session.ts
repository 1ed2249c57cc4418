/**
 * The broker's view of one client id: the lib/session Session (in-flight tables, queue), the
 * connection carrying it now (if any), the will, and the session expiry. Subscriptions live in
 * the broker's topic tree, keyed by the client id.
 */
import type { TimerHandle } from '../core/clock.js'
import type { ProtocolVersion, Will } from '../protocol/packets.js'
import { Session } from '../session/session.js'
import type { Connection } from './connection.js'
import type { ClientInfo } from './options.js'

/** Session Expiry Interval meaning "never expires" (v5 0xFFFFFFFF; 3.1.1 Clean Session 0). */
export const NEVER_EXPIRES = 0xffffffff

export class ClientSession {
  readonly clientId: string
  readonly session: Session
  connection: Connection | undefined
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

  constructor (clientId: string, session: Session, info: ClientInfo) {
    this.clientId = clientId
    this.session = session
    this.info = info
  }

  get protocolVersion (): ProtocolVersion { return this.info.protocolVersion }
}
