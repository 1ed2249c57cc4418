/**
 * `createBroker(options)`: an MQTT 3.1, 3.1.1 and 5.0 broker to embed. Listeners (TCP, TLS,
 * WebSocket) hand byte streams to `handle`; each stream becomes a Connection whose packets go
 * to the handlers through `dispatch`.
 */
import type { Duplex } from 'node:stream'
import { QosmosError, StorageError } from '../core/errors.js'
import { EventEmitter } from 'node:events'
import type { BoundListener, ByteStream, PeerInfo } from '../transport/contract.js'
import { fromDuplex } from '../transport/duplex-stream.js'
import { listenTcp } from '../transport/tcp.js'
import { listenTls } from '../transport/tls.js'
import { listenWebSocket } from '../transport/ws.js'
import type { Broker, ListenerAddress } from './api.js'
import { Connection } from './connection.js'
import type { ConnectionState } from './connection-state.js'
import { BrokerContext } from './context.js'
import { dispatch } from './dispatch.js'
import { KeepAliveWatch } from './keep-alive.js'
import { channels, type BrokerEventMap } from './events.js'
import type { BrokerOptions, TcpListenOptions, TlsListenOptions, WebSocketListenOptions } from './options.js'
import { SessionRegistry } from './registry.js'
import { Router } from './router.js'
import { SysTopics } from './sys-topics.js'

export class MqttBroker extends EventEmitter<BrokerEventMap> implements Broker {
  readonly #ctx: BrokerContext
  readonly #listeners: BoundListener[] = []
  readonly #connections = new Set<Connection>()
  readonly #sys: SysTopics
  readonly #keepAlive: KeepAliveWatch
  /** Settles when what the store held has been restored; connections wait for it. */
  readonly #ready: Promise<void>
  #restored = false
  #closing = false

  constructor (options: BrokerOptions = {}) {
    super()
    const ctx = new BrokerContext(options, this as EventEmitter<BrokerEventMap>)
    ctx.registry = new SessionRegistry(ctx)
    ctx.router = new Router(ctx)
    this.#ctx = ctx
    this.#keepAlive = new KeepAliveWatch(ctx.clock)
    this.#sys = new SysTopics(ctx, options.sysInterval ?? 10, () => this.#connections.size)
    this.#ready = this.#restore()
    // A failed restore is reported by `ready`, `listen*` and `close`; never unhandled.
    this.#ready.catch(() => {})
  }

  /**
   * Resolves once the sessions, subscriptions, queues, in-flight flows and retained messages
   * the store held are back; rejects (StorageError) when the store cannot be read, in which
   * case the broker accepts no connection.
   */
  get ready (): Promise<void> { return this.#ready }

  async #restore (): Promise<void> {
    const ctx = this.#ctx
    try {
      for (const { message, receivedAt } of await ctx.store.restoreRetained()) ctx.retained.update(message, receivedAt)
      const lost: Array<() => void> = []
      for (const restored of await ctx.store.restoreSessions()) lost.push(await ctx.registry.restore(restored))
      for (const afterLoss of lost) afterLoss()
    } catch (cause) {
      const error = cause instanceof QosmosError ? cause : new StorageError('the store could not be read', { cause })
      ctx.logger.error({ err: error }, 'restoring from the store failed')
      throw error
    }
    this.#restored = true
  }

  /** Read-only view of the broker state, for embedders and $SYS. */
  get context (): BrokerContext { return this.#ctx }

  get addresses (): readonly ListenerAddress[] {
    return this.#listeners.map(l => ({ protocol: l.protocol, host: l.host, port: l.port }))
  }

  async listen (options: TcpListenOptions = {}): Promise<ListenerAddress> {
    await this.#ready
    const logger = this.#ctx.logger
    return this.#add(await listenTcp(options.port ?? 1883, options.host ?? '0.0.0.0', this.#onConnection, {
      ...(options.sockets === undefined ? {} : { sockets: options.sockets }),
      onError: (err) => { logger.error({ err }, 'accepting a TCP connection failed') }
    }))
  }

  async listenTls (options: TlsListenOptions): Promise<ListenerAddress> {
    await this.#ready
    const files = {
      key: options.key,
      cert: options.cert,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.requestCert === undefined ? {} : { requestCert: options.requestCert }),
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized })
    }
    return this.#add(await listenTls(options.port ?? 8883, options.host ?? '0.0.0.0', files, this.#onConnection))
  }

  async listenWebSocket (options: WebSocketListenOptions = {}): Promise<ListenerAddress> {
    await this.#ready
    return this.#add(await listenWebSocket(options, this.#onConnection))
  }

  handle (stream: Duplex, info: PeerInfo = {}): void { this.#accept(fromDuplex(stream), info) }

  #accept (stream: ByteStream, info: PeerInfo): void {
    if (this.#closing) { stream.destroy(); return }
    if (!this.#restored) {
      this.#ready.then(() => { this.#accept(stream, info) }, () => { stream.destroy() })
      return
    }
    const conn = new Connection(stream, info, this.#handlers, { clock: this.#ctx.clock, maxPacketSize: this.#ctx.limits.maxPacketSize, counters: this.#ctx.stats, keepAlive: this.#keepAlive })
    this.#connections.add(conn)
  }

  async close (): Promise<void> {
    if (this.#closing) return
    this.#closing = true
    this.#sys.stop()
    // Clients are told first (v5 DISCONNECT 0x8B) and their connections ended: a listener's
    // close waits for its open sockets, so awaiting it before this never returned while any
    // client stayed connected. New connections meanwhile are refused by `handle`.
    this.#ctx.registry.shutdown()
    for (const conn of this.#connections) conn.destroy()
    this.#keepAlive.stop()
    await Promise.all(this.#listeners.map(l => l.close()))
    await this.#ready.catch(() => {})
    const store = this.#ctx.store
    await store.flush()
    if (this.#ctx.ownsStore) await store.close()
  }

  #add (listener: BoundListener): ListenerAddress {
    this.#listeners.push(listener)
    this.#sys.start()
    return { protocol: listener.protocol, host: listener.host, port: listener.port }
  }

  readonly #onConnection = (stream: ByteStream, peer: PeerInfo): void => { this.#accept(stream, peer) }

  readonly #handlers = {
    packet: (conn: Connection, packet: Parameters<typeof dispatch>[2]) => dispatch(this.#ctx, conn, packet),
    closed: (conn: Connection, error: Error | undefined) => {
      this.#connections.delete(conn)
      const state = conn.context as ConnectionState | undefined
      if (state?.phase !== 'Connected') return
      const cs = state.cs
      // A session taken over already has its new connection: only that one may detach it.
      if (cs.connection !== conn) return
      const reason = state.normalDisconnect ? undefined : error
      this.#ctx.registry.connectionEnded(cs)
      this.#ctx.events.emit('disconnect', cs.info, reason)
      if (channels.disconnect.hasSubscribers) channels.disconnect.publish({ clientId: cs.clientId, reason: reason?.message })
    }
  }
}

export function createBroker (options: BrokerOptions = {}): MqttBroker {
  return new MqttBroker(options)
}
