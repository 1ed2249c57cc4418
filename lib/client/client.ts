/**
 * The MQTT client: one lib/session Session (the same in-flight tables, packet-id allocator,
 * Receive Maximum quota and pending queue the broker drives), carried by one network connection
 * after another. This file owns the lifecycle (connect, reconnect with backoff, resume, end) and
 * the public methods; delivery to the application is in delivery.ts, subscriptions in
 * subscriptions.ts, the server's limits in server-limits.ts, the wire rules in wire.ts.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { systemClock, type Clock } from '../core/clock.js'
import {
  ClientClosedError, ConnectionRefusedError, InvalidArgumentError, ProtocolViolationError, ServerDisconnectError, SessionClosedError
} from '../core/errors.js'
import type { ClientStore } from '../persistence/contract-client.js'
import type { ConnackPacket, Packet, ProtocolVersion, SubackPacket, UnsubackPacket } from '../protocol/packets.js'
import { Session } from '../session/session.js'
import type { SessionStats } from '../session/types.js'
import { backoffPolicy, RetryTimer } from './backoff.js'
import { buildConnect, buildDisconnect } from './connect-packet.js'
import { streamSource, type StreamSource } from './open-stream.js'
import { handshake } from './handshake.js'
import {
  toProtocolVersion, type ClientOptions, type EndOptions, type PublishOptions, type SubscribeOptions, type UnsubscribeOptions
} from './options.js'
import { buildMessage, buildSubscriptions, filterList } from './requests.js'
import { Subscription } from './subscription.js'
import { Subscriptions } from './subscriptions.js'
import type { Wire, WireHandlers } from './wire.js'
import { deliverToApplication } from './delivery.js'
import type { ClientEventMap } from './events.js'
import { checkServerLimits, serverReferenceTarget } from './server-limits.js'

export type { ClientEventMap, Message } from './events.js'

type State = 'connecting' | 'connected' | 'reconnecting' | 'ending' | 'closed'

/** Reasons a refused CONNECT is not worth retrying: the same CONNECT would be refused again. */
const FATAL_CONNACK = new Set([0x84, 0x85, 0x86, 0x87, 0x8a, 0x8c])

export class Client extends EventEmitter<ClientEventMap> {
  readonly #options: ClientOptions
  readonly #version: ProtocolVersion
  readonly #clock: Clock
  readonly #random: () => number
  readonly #session: Session
  readonly #subs = new Subscriptions()
  readonly #retry: RetryTimer | undefined
  readonly #source: StreamSource
  #clientId: string
  #state: State = 'connecting'
  #wire: Wire | undefined
  #connack: ConnackPacket | undefined
  #first = true
  /** Packets that came with the first CONNACK, before connect() resolved: handled a turn later. */
  #held: Packet[] | undefined
  #unsettled = 0
  #drained: (() => void) | undefined
  #ended: Promise<void> | undefined

  /** @internal use `connect()`. */
  constructor (url: string | undefined, options: ClientOptions) {
    super()
    this.#options = options
    this.#version = toProtocolVersion(options.protocolVersion)
    this.#clock = options.clock ?? systemClock
    this.#random = options.random ?? Math.random
    this.#clientId = options.clientId ?? `qosmos_${randomBytes(6).toString('hex')}`
    // v3.1.1 [MQTT-3.1.3-7]: an empty client identifier needs Clean Session 1.
    if (this.#clientId === '' && this.#version !== 5 && options.clean === false) throw new InvalidArgumentError('an empty clientId needs clean: true before MQTT 5')
    this.#retry = options.reconnect === false ? undefined : new RetryTimer(backoffPolicy(options.reconnect === true ? {} : options.reconnect), this.#clock, this.#random)
    this.#source = streamSource(url, options)
    const store: ClientStore | undefined = options.store
    this.#session = new Session({
      ...(store === undefined ? {} : { store, queueStore: store }),
      clock: this.#clock,
      onError: (error) => { this.#stepFailed(error) },
      queueQos0WhenOffline: options.queueQoSZero ?? true,
      independentInbound: true,
      ...(options.maxQueuedMessages === undefined ? {} : { maxQueuedMessages: options.maxQueuedMessages }),
      ...(options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: options.maxQueuedBytes })
    })
  }

  /** The client identifier in use (the server's Assigned Client Identifier once there is one). */
  get clientId (): string { return this.#clientId }
  get connected (): boolean { return this.#state === 'connected' }
  get protocolVersion (): ProtocolVersion { return this.#version }
  /** The CONNACK of the current (or last) connection. */
  get connack (): ConnackPacket | undefined { return this.#connack }
  get stats (): SessionStats { return this.#session.stats }

  /** @internal: loads a durable store, then the first connection; rejects if it fails. */
  async start (): Promise<void> {
    if (this.#options.store !== undefined) await this.#session.restore()
    for (let redirects = 0; ; redirects++) {
      try {
        await this.#connectOnce()
        // Queued messages of a resumed session often share the CONNACK's chunk: they wait until the
        // caller of connect() has had its turn to add 'message' listeners, else they would be
        // acknowledged and lost.
        setImmediate(() => { this.#releaseHeld() })
        return
      } catch (error) {
        const moved = error instanceof ConnectionRefusedError && redirects < 3 && this.#followReference(error.reasonCode ?? 0, error.serverReference)
        if (!moved) throw error
      }
    }
  }

  /**
   * Publishes; resolves when the guarantee is met: QoS 0 written, QoS 1 PUBACK, QoS 2 PUBCOMP.
   * Rejects with PublishRejectedError (v5 reason code >= 0x80), PacketTooLargeError,
   * QueueFullError, MessageExpiredError, NotConnectedError, ClientClosedError, InvalidTopicNameError.
   */
  async publish (topic: string, payload: Buffer | string | Uint8Array, options: PublishOptions = {}): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'ending') throw new ClientClosedError()
    const message = buildMessage(this.#version, topic, payload, options)
    const qos = message.qos
    // A message the durable store would have to hold (QoS 1/2, or queued while offline) is
    // refused now, with nothing started, while the store's disk is below its reserve: the client
    // stays connected and the application decides (StorageFullError).
    if (qos > 0 || !this.connected) {
      const full = this.#options.store?.checkRoom?.(message.payload.length + message.topic.length)
      if (full !== undefined) throw full
    }
    if (this.#version === 5) checkServerLimits(this.#connack?.properties, message, this.#wire === undefined ? undefined : (p) => (this.#wire as Wire).sizeOf(p))
    await new Promise<void>((resolve, reject) => {
      this.#unsettled++
      const done = (error: Error | undefined): void => {
        // The server kept no session, so the flow was discarded (v5 [MQTT-3.2.2-5]). QoS 1: sent
        // again as a new message (at least once). QoS 2: the server may already have it, so
        // sending it again could duplicate it; it rejects with SessionClosedError instead.
        if (error instanceof SessionClosedError && !this.#session.closed && qos === 1) {
          queueMicrotask(() => { this.#session.publish(message, done) })
          return
        }
        this.#settled()
        if (error === undefined) resolve()
        else reject(error instanceof SessionClosedError && this.#session.closed ? new ClientClosedError(`the client was ended before the publication completed (${error.message})`) : error)
      }
      this.#session.publish(message, done)
    })
  }

  /**
   * Subscribes; resolves with a Subscription: `granted` (one code per filter: the QoS granted, or
   * a failure code >= 0x80) and an async iterable of the matching messages. Rejects with
   * SubscribeRejectedError when every filter was refused.
   */
  async subscribe (filters: string | readonly string[], options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.#state === 'closed' || this.#state === 'ending') throw new ClientClosedError()
    const list = filterList(filters, 'subscribe')
    const subscriptions = buildSubscriptions(this.#version, list, options)
    // The stream exists before the SUBSCRIBE leaves, so retained messages sent with the SUBACK are not missed.
    const entry = this.#subs.addStream(list)
    let ack: SubackPacket
    try {
      ack = await this.#request(packetId => this.#subs.subscribe({
        type: 'subscribe', packetId, subscriptions, ...(options.properties === undefined || this.#version !== 5 ? {} : { properties: options.properties })
      }))
    } catch (error) {
      this.#subs.removeStream(entry)
      throw error
    }
    return new Subscription(list, ack.reasonCodes, ack.properties, entry, {
      unsubscribe: async () => { await this.unsubscribe(list) },
      close: () => { this.#subs.removeStream(entry) }
    })
  }

  /** Unsubscribes; resolves with the UNSUBACK reason codes (v5; empty for 3.1.1). */
  async unsubscribe (filters: string | readonly string[], options: UnsubscribeOptions = {}): Promise<readonly number[]> {
    if (this.#state === 'closed' || this.#state === 'ending') throw new ClientClosedError()
    const topicFilters = filterList(filters, 'unsubscribe')
    const ack: UnsubackPacket = await this.#request(packetId => this.#subs.unsubscribe({
      type: 'unsubscribe', packetId, topicFilters, ...(options.properties === undefined || this.#version !== 5 ? {} : { properties: options.properties })
    }))
    return ack.reasonCodes
  }

  /**
   * Ends the client: waits for in-flight publications while connected (unless `force`), sends
   * DISCONNECT (v5 with the reason code; 0x04 asks the server to publish the will), closes.
   */
  async end (options: EndOptions = {}): Promise<void> {
    if (this.#ended !== undefined) return await this.#ended
    this.#ended = this.#end(options)
    return await this.#ended
  }

  async #end (options: EndOptions): Promise<void> {
    const wasConnected = this.#state === 'connected'
    this.#retry?.cancel()
    if (wasConnected && options.force !== true && this.#unsettled > 0) {
      await new Promise<void>(resolve => { this.#drained = resolve })
    }
    this.#state = 'ending'
    const wire = this.#wire
    if (wire !== undefined) {
      if (options.force === true) wire.destroy()
      else wire.close(buildDisconnect(this.#version, options))
    }
    this.#finish()
  }

  /** v5 re-authentication (4.12.1): AUTH 0x19 with the method of the CONNECT; the exchange goes through `onAuth`. */
  reauthenticate (data?: Buffer): void {
    const method = this.#options.authenticationMethod
    if (this.#version !== 5 || method === undefined) throw new InvalidArgumentError('re-authentication needs MQTT 5 and an authenticationMethod')
    this.#wire?.send({ type: 'auth', reasonCode: 0x19, properties: { authenticationMethod: method, ...(data === undefined ? {} : { authenticationData: data }) } })
  }

  #finish (): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    this.#wire = undefined
    for (const id of this.#subs.close()) this.#session.releasePacketId(id)
    this.#session.close()
    this.emit('end')
  }

  #settled (): void {
    this.#unsettled--
    if (this.#unsettled === 0 && this.#drained !== undefined) {
      const drained = this.#drained
      this.#drained = undefined
      drained()
    }
  }

  async #request<A> (send: (packetId: number) => Promise<A>): Promise<A> {
    const packetId = this.#session.allocatePacketId()
    const answer = send(packetId)
    const packet = this.#subs.pending.find(p => p.packetId === packetId)
    if (packet !== undefined && this.#state === 'connected') this.#wire?.send(packet)
    return await answer
  }

  async #connectOnce (): Promise<void> {
    const connect = buildConnect(this.#options, { version: this.#version, clientId: this.#clientId, first: this.#first })
    const handlers: WireHandlers = {
      packet: (packet) => { this.#onPacket(packet) },
      closed: (error) => { this.#onClosed(error) },
      oversized: (_packet, error) => { this.#emitError(error) }
    }
    await handshake({
      open: this.#source.open,
      connect,
      clock: this.#clock,
      connectTimeout: this.#options.connectTimeout ?? 30_000,
      ...(this.#options.maximumPacketSize === undefined ? {} : { maxPacketSize: this.#options.maximumPacketSize }),
      topicAliasMaximum: this.#options.topicAliasMaximum ?? 0,
      onAuth: this.#options.onAuth,
      handlers,
      accepted: (wire, connack) => { this.#accepted(wire, connack, connect.clean) }
    })
  }

  /** CONNACK 0x00: settle the connection's parameters, attach the session, resubscribe, start keep alive. */
  #accepted (wire: Wire, connack: ConnackPacket, cleanStart: boolean): void {
    if (this.#state === 'ending' || this.#state === 'closed') { wire.close(); return }
    if (cleanStart && connack.sessionPresent) {
      // v5 [MQTT-3.2.2-4]: we asked for a new session and hold none for it; the server claims one.
      throw new ProtocolViolationError('Session Present 1 in answer to Clean Start 1')
    }
    const props = connack.properties
    this.#wire = wire
    this.#connack = connack
    if (this.#first) this.#held = []
    this.#first = false
    this.#retry?.reset()
    // v5 [MQTT-3.2.2-16]: the Assigned Client Identifier is ours from now on (and on every reconnect).
    if (props?.assignedClientIdentifier !== undefined) this.#clientId = props.assignedClientIdentifier
    if (props?.maximumPacketSize !== undefined) wire.peerMaxPacketSize = props.maximumPacketSize
    if (this.#version === 5 && (this.#options.autoTopicAlias ?? true)) wire.useOutboundAliases(props?.topicAliasMaximum ?? 0)
    this.#state = 'connected'
    this.#session.attach({
      send: (packet) => { wire.send(packet) },
      deliver: (message) => deliverToApplication(
        message, this.#options.acknowledge === 'after-processing' && message.qos > 0, this.#subs,
        this.rawListeners('message') as Array<(...args: ClientEventMap['message']) => unknown>, this, (error) => { this.#emitError(error) })
    }, {
      resumed: connack.sessionPresent,
      // v5 [MQTT-3.3.4-7] [MQTT-4.9.0-2]: no more unacknowledged QoS 1/2 PUBLISH than the server's Receive Maximum.
      peerReceiveMaximum: props?.receiveMaximum ?? 65535,
      receiveMaximum: this.#version === 5 ? this.#options.receiveMaximum ?? 65535 : 65535
    })
    this.#subs.connected(connack.sessionPresent, this.#options.resubscribe ?? true, () => this.#session.allocatePacketId(), (p) => { wire.send(p) }, (e) => { this.#emitError(e) })
    // v5 [MQTT-3.2.2-21]: the Server Keep Alive replaces ours.
    wire.startKeepAlive(props?.serverKeepAlive ?? this.#options.keepAlive ?? 60, this.#options.pingTimeout)
    this.emit('connect', connack)
  }

  #releaseHeld (): void {
    const held = this.#held ?? []
    this.#held = undefined
    for (const packet of held) this.#onPacket(packet)
  }

  #onPacket (packet: Packet): void {
    if (this.#held !== undefined) { this.#held.push(packet); return }
    const wire = this.#wire
    if (wire === undefined) return
    try {
      switch (packet.type) {
        case 'publish': case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
          this.#session.receive(packet)
          return
        case 'suback':
          if (this.#subs.suback(packet)) this.#session.releasePacketId(packet.packetId)
          return
        case 'unsuback':
          if (this.#subs.unsuback(packet)) this.#session.releasePacketId(packet.packetId)
          return
        case 'pingresp':
          return
        case 'disconnect': {
          this.emit('disconnect', packet)
          const props = packet.properties
          const error = new ServerDisconnectError(packet.reasonCode ?? 0, props?.reasonString, props?.serverReference)
          this.#followReference(packet.reasonCode ?? 0, props?.serverReference)
          wire.destroy(error)
          return
        }
        case 'auth':
          void this.#onAuth(packet).catch((error: Error) => { wire.fail(error) })
          return
        default:
          // v5 [MQTT-3.1.0-2]-side: CONNACK, CONNECT, SUBSCRIBE... never come from a server after CONNACK.
          throw new ProtocolViolationError(`the server sent ${packet.type.toUpperCase()} after CONNACK`)
      }
    } catch (error) {
      wire.fail(error as Error)
    }
  }

  async #onAuth (packet: Extract<Packet, { type: 'auth' }>): Promise<void> {
    if (packet.reasonCode === 0) return // re-authentication succeeded
    const method = this.#options.authenticationMethod
    const onAuth = this.#options.onAuth
    if (method === undefined || onAuth === undefined) throw new ProtocolViolationError('unexpected AUTH') // v5 [MQTT-4.12.0-6]
    const data = await onAuth({ method, data: packet.properties?.authenticationData, reasonCode: packet.reasonCode })
    this.#wire?.send({ type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: method, ...(data === undefined ? {} : { authenticationData: data }) } })
  }

  /** A session step failed (storage, a delivery the application refused): this connection sends nothing more, so it is dropped. */
  #stepFailed (error: Error): void {
    this.#emitError(error)
    this.#wire?.destroy(error)
  }

  #onClosed (error: Error | undefined): void {
    this.#wire = undefined
    this.#held = undefined // the connection they came on is gone: the server sends them again
    this.#session.detach()
    this.emit('close', error)
    if (this.#state === 'ending' || this.#state === 'closed') return
    if (this.#drained !== undefined) { const drained = this.#drained; this.#drained = undefined; drained() }
    if (this.#retry === undefined) { this.#finish(); return }
    this.#state = 'reconnecting'
    this.emit('offline')
    this.#scheduleReconnect()
  }

  #scheduleReconnect (): void {
    if (this.#state !== 'reconnecting') return
    const scheduled = this.#retry?.schedule(attempt => {
      if (this.#state !== 'reconnecting') return
      this.emit('reconnect', attempt)
      this.#connectOnce().catch((error: Error) => {
        this.#emitError(error)
        if (error instanceof ConnectionRefusedError) {
          this.#followReference(error.reasonCode ?? 0, error.serverReference)
          if (FATAL_CONNACK.has(error.reasonCode ?? 0)) { this.#finish(); return }
        }
        this.#scheduleReconnect()
      })
    }) ?? false
    if (!scheduled) this.#finish()
  }

  /** v5 4.11: 0x9C Use another server / 0x9D Server moved, followed when asked to; true when the target changed. */
  #followReference (reasonCode: number, reference: string | undefined): boolean {
    const to = serverReferenceTarget(reasonCode, reference)
    const target = this.#source.target
    if (this.#options.followServerReference !== true || to === undefined || target === undefined) return false
    this.#source.target = { ...target, ...to }
    return true
  }

  #emitError (error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error)
  }
}
