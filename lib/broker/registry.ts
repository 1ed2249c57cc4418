/**
 * All sessions by client id (v5 [MQTT-3.1.3-2], v3.1.1 [MQTT-3.1.3-2]): takeover, clean start,
 * session expiry and wills. The registry is the one place where a session begins and ends.
 */
import { SessionClosedError } from '../core/errors.js'
import { Session } from '../session/session.js'
import { ClientSession, NEVER_EXPIRES } from './client-session.js'
import type { BrokerContext } from './context.js'
import { channels } from './events.js'
import type { ClientInfo } from './options.js'
import { publishWill } from './will.js'

export class SessionRegistry {
  readonly #ctx: BrokerContext
  readonly #sessions = new Map<string, ClientSession>()

  constructor (ctx: BrokerContext) { this.#ctx = ctx }

  get size (): number { return this.#sessions.size }
  get (clientId: string): ClientSession | undefined { return this.#sessions.get(clientId) }
  values (): IterableIterator<ClientSession> { return this.#sessions.values() }

  connectedCount (): number {
    let n = 0
    for (const s of this.#sessions.values()) if (s.connection !== undefined) n++
    return n
  }

  /**
   * The session a CONNECT continues or starts. Clean Start 1 (v5 [MQTT-3.1.2-4]) or Clean
   * Session 1 (v3.1.1 [MQTT-3.1.2-6]) discards any existing session; otherwise an existing one
   * resumes (v5 [MQTT-3.1.2-5], v3.1.1 [MQTT-3.1.2-4]) or a new one starts (v5 [MQTT-3.1.2-6]).
   */
  open (info: ClientInfo, clean: boolean): { session: ClientSession, present: boolean } {
    const existing = this.#sessions.get(info.clientId)
    if (existing !== undefined && !clean && !existing.ended) {
      this.#cancelExpiry(existing)
      existing.info = info
      return { session: existing, present: true }
    }
    if (existing !== undefined) this.end(existing, false)
    const limits = this.#ctx.limits
    const session = new Session({
      clock: this.#ctx.clock,
      maxQueuedMessages: limits.maxQueuedMessages,
      maxQueuedBytes: limits.maxQueuedBytes,
      queueQos0WhenOffline: limits.queueQos0Offline,
      onError: (error) => this.#sessionFailed(info.clientId, error)
    })
    const clientSession = new ClientSession(info.clientId, session, info)
    this.#sessions.set(info.clientId, clientSession)
    return { session: clientSession, present: false }
  }

  /**
   * The connection of a session ended. The will is published now, or after its delay, unless a
   * normal DISCONNECT removed it (v5 [MQTT-3.1.2-8] [MQTT-3.1.2-10], v3.1.1 [MQTT-3.1.2-8]
   * [MQTT-3.1.2-10]); the session ends now (expiry 0) or is kept for its expiry interval
   * (v5 [MQTT-3.1.2-23] [MQTT-4.1.0-2]).
   */
  connectionEnded (cs: ClientSession): void {
    cs.connection = undefined
    cs.session.detach()
    const will = cs.will
    cs.will = undefined
    if (cs.expiryInterval === 0) {
      if (will !== undefined) publishWill(this.#ctx, cs, will)
      this.end(cs, false)
      return
    }
    if (will !== undefined) {
      const delay = Math.min(will.properties?.willDelayInterval ?? 0, cs.expiryInterval)
      if (delay === 0) publishWill(this.#ctx, cs, will)
      else {
        cs.pendingWill = will
        cs.willTimer = this.#ctx.clock.setTimeout(() => {
          cs.willTimer = undefined
          const pending = cs.pendingWill
          cs.pendingWill = undefined
          if (pending !== undefined) publishWill(this.#ctx, cs, pending)
        }, delay * 1000)
      }
    }
    if (cs.expiryInterval !== NEVER_EXPIRES) {
      cs.expiryTimer = this.#ctx.clock.setTimeout(() => {
        cs.expiryTimer = undefined
        if (cs.connection === undefined) this.end(cs, true)
      }, cs.expiryInterval * 1000)
    }
  }

  /**
   * A session ends: its subscriptions go, its queue and flows are dropped. A will still waiting
   * for its delay is published when the session ends first (v5 [MQTT-3.1.2-8]).
   */
  end (cs: ClientSession, publishPendingWill: boolean): void {
    if (cs.ended) return
    cs.ended = true
    this.#cancelExpiry(cs)
    const pending = cs.pendingWill
    cs.pendingWill = undefined
    if (cs.willTimer !== undefined) { this.#ctx.clock.clearTimeout(cs.willTimer); cs.willTimer = undefined }
    if (this.#sessions.get(cs.clientId) === cs) this.#sessions.delete(cs.clientId)
    this.#ctx.tree.removeClient(cs.clientId)
    cs.session.close()
    if (publishPendingWill && pending !== undefined) publishWill(this.#ctx, cs, pending)
  }

  /** A new connection for the session cancels a will still waiting for its delay (v5 [MQTT-3.1.3-9]). */
  cancelPendingWill (cs: ClientSession): void {
    cs.pendingWill = undefined
    if (cs.willTimer !== undefined) { this.#ctx.clock.clearTimeout(cs.willTimer); cs.willTimer = undefined }
  }

  #cancelExpiry (cs: ClientSession): void {
    if (cs.expiryTimer !== undefined) { this.#ctx.clock.clearTimeout(cs.expiryTimer); cs.expiryTimer = undefined }
  }

  #sessionFailed (clientId: string, error: Error): void {
    if (error instanceof SessionClosedError) return
    const cs = this.#sessions.get(clientId)
    this.#ctx.logger.error({ clientId, err: error }, 'session step failed; closing the connection')
    this.#ctx.events.emit('clientError', cs?.info, error)
    cs?.connection?.fail(error)
  }

  /** Closes every connection (v5 0x8B server shutting down) and ends clean sessions. */
  shutdown (): void {
    for (const cs of [...this.#sessions.values()]) {
      cs.connection?.close({ reasonCode: 0x8b, reasonString: 'server shutting down' })
      this.#cancelExpiry(cs)
      if (cs.willTimer !== undefined) this.#ctx.clock.clearTimeout(cs.willTimer)
    }
    if (channels.disconnect.hasSubscribers) channels.disconnect.publish({ shutdown: true })
  }
}
