/**
 * All sessions by client id (v5 [MQTT-3.1.3-2], v3.1.1 [MQTT-3.1.3-2]): takeover, clean start,
 * session expiry and wills. The registry is the one place where a session begins and ends.
 */
import { SessionClosedError } from '../core/errors.js'
import type { SessionFlowStore } from '../persistence/contract.js'
import type { RestoredSession, SessionQueueStore, StoredSession } from '../persistence/contract-broker.js'
import type { Will } from '../protocol/packets.js'
import type { Session } from '../session/session.js'
import type { SessionOptions } from '../session/types.js'
import { ClientSession, NEVER_EXPIRES } from './client-session.js'
import type { BrokerContext } from './context.js'
import { channels } from './events.js'
import type { ClientInfo } from './options.js'
import { subscriptionFromStored } from './stored.js'
import { publishWill } from './will.js'

export class SessionRegistry {
  readonly #ctx: BrokerContext
  readonly #sessions = new Map<string, ClientSession>()
  /** The options of every session without a store: one object for all, not one per client. */
  readonly #options: Required<Omit<SessionOptions, 'store' | 'queueStore'>>

  constructor (ctx: BrokerContext) {
    this.#ctx = ctx
    const { limits } = ctx
    this.#options = {
      clock: ctx.clock,
      maxQueuedMessages: limits.maxQueuedMessages,
      maxQueuedBytes: limits.maxQueuedBytes,
      queueQos0WhenOffline: limits.queueQos0Offline,
      // A received PUBLISH is acknowledged only once its routed copies are stored (durable-ack.ts);
      // a copy routed back to this same session is stored by an outbound list, which must not
      // queue behind the inbound list that waits for it (a client subscribed to its own topic).
      independentInbound: true,
      pipelineDeliveries: true,
      onError: (error, session) => { this.#sessionFailed(session, error) }
    }
  }

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
  open (info: ClientInfo, clean: boolean, expiryInterval: number): { session: ClientSession, present: boolean } {
    const existing = this.#sessions.get(info.clientId)
    if (existing !== undefined && !clean && !existing.ended) {
      this.#cancelExpiry(existing)
      existing.info = info
      return { session: existing, present: true }
    }
    if (existing !== undefined) this.end(existing, false)
    // A session that ends with its connection is not written to the store.
    const session = this.#create(info, expiryInterval > 0)
    return { session, present: false }
  }

  #create (info: ClientInfo, persistent: boolean): ClientSession {
    const { store } = this.#ctx
    const clientId = info.clientId
    const options = persistent ? this.#withStore(store.flowStore(clientId), store.queueStore(clientId)) : this.#options
    const cs = new ClientSession(info, options)
    cs.persistent = persistent
    this.#sessions.set(clientId, cs)
    return cs
  }

  /** A persistent session's options. A literal, not a spread of the shared ones: V8 gives each spread copy a hidden class of its own (about 300 bytes). */
  #withStore (store: SessionFlowStore, queueStore: SessionQueueStore): SessionOptions {
    const o = this.#options
    return {
      clock: o.clock,
      maxQueuedMessages: o.maxQueuedMessages,
      maxQueuedBytes: o.maxQueuedBytes,
      queueQos0WhenOffline: o.queueQos0WhenOffline,
      independentInbound: o.independentInbound,
      pipelineDeliveries: o.pipelineDeliveries,
      onError: o.onError,
      store,
      queueStore
    }
  }

  /** Writes what outlives the connection: expiry, will, and when the connection ended. */
  save (cs: ClientSession, disconnectedAt?: number, will: Will | undefined = cs.will): void {
    if (!cs.persistent || cs.ended) return
    const info = cs.info
    const record: StoredSession = {
      clientId: cs.clientId,
      protocolVersion: info.protocolVersion,
      expiryInterval: cs.expiryInterval,
      ...(info.username === undefined ? {} : { username: info.username }),
      ...(disconnectedAt === undefined ? {} : { disconnectedAt }),
      ...(will === undefined ? {} : { will })
    }
    this.#ctx.persist(store => store.sessionSaved(record), cs)
  }

  /**
   * A session found in the store on start. A restart is a lost connection: a session that was
   * connected loses it now, and its will is published (after what is left of its delay); one
   * already disconnected keeps counting its expiry and will delay from when it was lost, by
   * the wall clock (v5 [MQTT-4.1.0-2], 3.1.3.2.2). Returns the step that starts them.
   */
  async restore (restored: RestoredSession): Promise<() => void> {
    const record = restored.session
    const info: ClientInfo = { clientId: record.clientId, username: record.username, protocolVersion: record.protocolVersion, remoteAddress: undefined, certificate: undefined }
    const cs = this.#create(info, true)
    cs.expiryInterval = record.expiryInterval
    await cs.restore()
    for (const sub of restored.subscriptions) this.#ctx.tree.subscribe(subscriptionFromStored(cs.clientId, sub))
    const now = this.#ctx.clock.now()
    // Its will and expiry start once every session is back (the caller runs this), so that a
    // will reaches subscribers whose sessions the store returns after this one.
    return () => { this.#afterLoss(cs, record.will, record.disconnectedAt ?? now) }
  }

  /**
   * The connection of a session ended. The will is published now, or after its delay, unless a
   * normal DISCONNECT removed it (v5 [MQTT-3.1.2-8] [MQTT-3.1.2-10], v3.1.1 [MQTT-3.1.2-8]
   * [MQTT-3.1.2-10]); the session ends now (expiry 0) or is kept for its expiry interval
   * (v5 [MQTT-3.1.2-23] [MQTT-4.1.0-2]).
   */
  connectionEnded (cs: ClientSession): void {
    cs.connection = undefined
    cs.detach()
    const will = cs.will
    cs.will = undefined
    this.#afterLoss(cs, will, this.#ctx.clock.now())
  }

  /** Will and expiry of a session whose connection was lost at `lostAt` (clock ms). */
  #afterLoss (cs: ClientSession, will: Will | undefined, lostAt: number): void {
    const clock = this.#ctx.clock
    const elapsed = Math.max(0, clock.now() - lostAt)
    if (cs.expiryInterval === 0 || (cs.expiryInterval !== NEVER_EXPIRES && cs.expiryInterval * 1000 <= elapsed)) {
      if (will !== undefined) publishWill(this.#ctx, cs, will)
      this.end(cs, false)
      return
    }
    let pending: Will | undefined
    if (will !== undefined) {
      const delay = Math.min(will.properties?.willDelayInterval ?? 0, cs.expiryInterval) * 1000 - elapsed
      if (delay <= 0) publishWill(this.#ctx, cs, will)
      else {
        pending = will
        cs.pendingWill = will
        cs.willTimer = clock.setTimeout(() => {
          cs.willTimer = undefined
          const due = cs.pendingWill
          cs.pendingWill = undefined
          if (due !== undefined) {
            publishWill(this.#ctx, cs, due)
            this.save(cs, lostAt, undefined)
          }
        }, delay)
      }
    }
    this.save(cs, lostAt, pending)
    if (cs.expiryInterval !== NEVER_EXPIRES) {
      cs.expiryTimer = clock.setTimeout(() => {
        cs.expiryTimer = undefined
        if (cs.connection === undefined) this.end(cs, true)
      }, cs.expiryInterval * 1000 - elapsed)
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
    cs.close()
    if (cs.persistent) this.#ctx.persist(store => store.sessionEnded(cs.clientId))
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

  #sessionFailed (session: Session, error: Error): void {
    if (error instanceof SessionClosedError) return
    const cs = session instanceof ClientSession ? session : undefined
    this.#ctx.logger.error({ clientId: cs?.clientId, err: error }, 'session step failed; closing the connection')
    this.#ctx.events.emit('clientError', cs?.info, error)
    cs?.connection?.fail(error)
  }

  /**
   * Closes every connection (v5 0x8B server shutting down) and stops every timer. Sessions are
   * left as the store has them: one that was connected is saved still holding its will, so the
   * next start treats the shutdown as a lost connection (see `restore`).
   */
  shutdown (): void {
    for (const cs of [...this.#sessions.values()]) {
      const conn = cs.connection
      if (conn !== undefined) {
        cs.connection = undefined
        cs.detach()
        this.save(cs)
        conn.close({ reasonCode: 0x8b, reasonString: 'server shutting down' })
      }
      this.#cancelExpiry(cs)
      if (cs.willTimer !== undefined) this.#ctx.clock.clearTimeout(cs.willTimer)
    }
    if (channels.disconnect.hasSubscribers) channels.disconnect.publish({ shutdown: true })
  }
}
