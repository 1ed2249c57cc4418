/**
 * A small MQTT test client for fault injection, built on the library's own Session (the same
 * QoS machines the broker drives), PacketDecoder, encode and node:net. It keeps one persistent
 * session (Clean Start 0 / Clean Session 0, Session Expiry > 0) across any number of
 * connections: when the connection drops it detaches the session, reconnects after a short
 * random pause, and attaches it again with the CONNACK's Session Present, so the session
 * resends its unfinished PUBLISH/PUBREL (v5 [MQTT-4.4.0-1]) and drops the inbound duplicates of
 * QoS 2 (v5 [MQTT-4.3.3-10]). Deliberately not MQTT.js: its QoS 2 receiver is not what is tested.
 *
 * Hooks let a test see every packet that goes out (`sent`) and comes in (`received`), e.g. to
 * note which PUBLISH got its PUBACK/PUBREC.
 */
import net from 'node:net'
import { PacketDecoder, encode } from '../../lib/protocol/index.js'
import type { Packet, ProtocolVersion, QoS } from '../../lib/protocol/packets.js'
import type { ApplicationMessage } from '../../lib/qos/types.js'
import { Session } from '../../lib/session/index.js'
import type { Rng } from './rng.js'

export interface FaultClientOptions {
  readonly clientId: string
  readonly version: 4 | 5
  /** The port to dial, asked at every connection attempt (a restarted broker has a new one). */
  readonly port: () => number
  readonly rng: Rng
  /** Pause before a reconnection, in ms: [min, max]. Default [5, 40]. */
  readonly reconnectDelay?: readonly [number, number]
  /** v5: the Receive Maximum announced in CONNECT (bounds what the broker has in flight to us); 3.1.1 has none. */
  readonly receiveMaximum?: number
  /** A message handed to the application (a QoS 2 one only once per flow). */
  readonly deliver?: (message: ApplicationMessage) => void
  readonly sent?: (packet: Packet) => void
  readonly received?: (packet: Packet) => void
}

export interface FaultClientStats {
  connects: number
  /** CONNACKs with Session Present 0 after the first: the broker lost the session. */
  sessionsLost: number
  drops: number
  protocolErrors: string[]
  sessionErrors: string[]
}

const CONNACK_TIMEOUT_MS = 5000

export class FaultClient {
  readonly #o: FaultClientOptions
  readonly session: Session
  readonly stats: FaultClientStats = { connects: 0, sessionsLost: 0, drops: 0, protocolErrors: [], sessionErrors: [] }
  #socket: net.Socket | undefined
  #stopped = false
  #everConnected = false
  #subscriptions: Array<{ filter: string, qos: QoS, acked: boolean }> = []
  #waiters: Array<() => void> = []
  #subscribeIds = new Map<number, number>()

  constructor (options: FaultClientOptions) {
    this.#o = options
    this.session = new Session({
      onError: (error) => { this.stats.sessionErrors.push(`${error.name}: ${error.message}`); this.#socket?.destroy() },
      maxQueuedMessages: 100_000
    })
  }

  get connected (): boolean { return this.session.attached }
  get id (): string { return this.#o.clientId }

  /** Starts connecting (and reconnecting, until `stop`); resolves at the first accepted CONNACK. */
  start (): Promise<void> {
    this.#dial()
    return this.whenConnected()
  }

  whenConnected (): Promise<void> {
    if (this.session.attached) return Promise.resolve()
    return new Promise(resolve => { this.#waiters.push(resolve) })
  }

  /** Subscribes (again on every connection until a SUBACK grants it); resolves when granted. */
  async subscribe (filter: string, qos: QoS): Promise<void> {
    const entry = { filter, qos, acked: false }
    this.#subscriptions.push(entry)
    if (this.session.attached) this.#sendSubscribe(this.#subscriptions.length - 1)
    while (!entry.acked) await new Promise(resolve => setTimeout(resolve, 10))
  }

  /** Publishes through the session: resolves on PUBACK (QoS 1), PUBCOMP (QoS 2) or when written (QoS 0). */
  publish (message: ApplicationMessage): Promise<void> {
    return new Promise((resolve, reject) => { this.session.publish(message, (error) => { if (error === undefined) resolve(); else reject(error) }) })
  }

  /** Ends reconnecting; a connected client sends DISCONNECT first. */
  async stop (): Promise<void> {
    this.#stopped = true
    const socket = this.#socket
    if (socket === undefined) return
    if (this.session.attached) socket.write(encode({ type: 'disconnect', reasonCode: 0 }, this.#o.version))
    socket.end()
    await new Promise<void>(resolve => {
      if (socket.destroyed) { resolve(); return }
      socket.once('close', () => { resolve() })
      setTimeout(() => { socket.destroy() }, 500).unref()
    })
  }

  #dial (): void {
    if (this.#stopped) return
    const version: ProtocolVersion = this.#o.version
    const socket = net.connect(this.#o.port(), '127.0.0.1')
    this.#socket = socket
    socket.setNoDelay(true)
    const decoder = new PacketDecoder({ protocolVersion: version })
    let accepted = false
    const timer = setTimeout(() => { this.stats.protocolErrors.push('no CONNACK within 5 s'); socket.destroy() }, CONNACK_TIMEOUT_MS)
    if (process.env.FAULT_DEBUG !== undefined) console.log(`${(performance.now() / 1000).toFixed(3)} ${this.#o.clientId} dial`)
    socket.on('connect', () => {
      socket.write(encode({
        type: 'connect',
        protocolVersion: version,
        protocolName: 'MQTT',
        clientId: this.#o.clientId,
        clean: false,
        keepAlive: 0,
        ...(version === 5 ? { properties: { sessionExpiryInterval: 3600, ...(this.#o.receiveMaximum === undefined ? {} : { receiveMaximum: this.#o.receiveMaximum }) } } : {})
      }, version))
    })
    socket.on('data', (chunk: Buffer) => {
      const result = decoder.push(chunk)
      for (const packet of result.packets) {
        if (socket.destroyed) return
        if (!accepted) {
          if (packet.type !== 'connack' || packet.reasonCode !== 0) {
            this.stats.protocolErrors.push(`expected CONNACK 0, got ${packet.type} ${'reasonCode' in packet ? String(packet.reasonCode) : ''} ${JSON.stringify({ ...packet, payload: undefined })} first chunk ${chunk.subarray(0, 40).toString('hex')}`)
            socket.destroy()
            return
          }
          accepted = true
          clearTimeout(timer)
          this.#accepted(socket, packet.sessionPresent, packet.properties?.receiveMaximum)
          continue
        }
        this.#packet(socket, packet)
      }
      if (result.error !== undefined) {
        this.stats.protocolErrors.push(`decode: ${result.error.message}`)
        socket.destroy()
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      if (process.env.FAULT_DEBUG !== undefined) console.log(`${(performance.now() / 1000).toFixed(3)} ${this.#o.clientId} closed (accepted ${String(accepted)})`)
      if (this.#socket === socket) this.#socket = undefined
      if (accepted) {
        this.stats.drops++
        this.session.detach()
      }
      if (this.#stopped) return
      const [min, max] = this.#o.reconnectDelay ?? [5, 40]
      setTimeout(() => { this.#dial() }, this.#o.rng.int(min, max))
    })
  }

  #accepted (socket: net.Socket, present: boolean, receiveMaximum: number | undefined): void {
    this.stats.connects++
    if (process.env.FAULT_DEBUG !== undefined) console.log(`${(performance.now() / 1000).toFixed(3)} ${this.#o.clientId} accepted present=${String(present)}`)
    if (this.#everConnected && !present) this.stats.sessionsLost++
    this.#everConnected = true
    const version = this.#o.version
    this.session.attach({
      send: (packet) => {
        if (socket.destroyed || !socket.writable) return
        this.#o.sent?.(packet)
        socket.write(encode(packet, version))
      },
      deliver: (message) => { this.#o.deliver?.(message) }
    }, { resumed: present, peerReceiveMaximum: receiveMaximum ?? 65535, receiveMaximum: version === 5 ? this.#o.receiveMaximum ?? 65535 : 65535 })
    // Subscriptions not yet granted go (again) on this connection; a lost session loses them all.
    for (const packetId of this.#subscribeIds.keys()) this.session.releasePacketId(packetId)
    this.#subscribeIds.clear()
    this.#subscriptions.forEach((entry, i) => {
      if (!present) entry.acked = false
      if (!entry.acked) this.#sendSubscribe(i)
    })
    for (const resolve of this.#waiters.splice(0)) resolve()
  }

  #sendSubscribe (index: number): void {
    const entry = this.#subscriptions[index]
    const socket = this.#socket
    if (entry === undefined || socket === undefined) return
    const packetId = this.session.allocatePacketId()
    this.#subscribeIds.set(packetId, index)
    socket.write(encode({ type: 'subscribe', packetId, subscriptions: [{ topicFilter: entry.filter, qos: entry.qos }] }, this.#o.version))
  }

  #packet (socket: net.Socket, packet: Packet): void {
    this.#o.received?.(packet)
    try {
      switch (packet.type) {
        case 'publish': case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
          this.session.receive(packet)
          return
        case 'suback': {
          const index = this.#subscribeIds.get(packet.packetId)
          this.session.releasePacketId(packet.packetId)
          this.#subscribeIds.delete(packet.packetId)
          const entry = index === undefined ? undefined : this.#subscriptions[index]
          if (entry !== undefined && (packet.reasonCodes[0] ?? 0x80) < 0x80) entry.acked = true
          return
        }
        case 'disconnect':
          socket.destroy()
          return
        case 'pingresp':
          return
        default:
          this.stats.protocolErrors.push(`unexpected ${packet.type}`)
          socket.destroy()
      }
    } catch (error) {
      this.stats.protocolErrors.push(`${packet.type}: ${(error as Error).message}`)
      socket.destroy()
    }
  }
}
