/**
 * One network connection of the client: bytes in through the streaming decoder (at the protocol
 * level the client chose), packets out through the encoder. It owns the per-connection rules of
 * the wire: our Maximum Packet Size (decoder), the server's Maximum Packet Size for what we send,
 * outbound and inbound topic aliases, and keep alive (PINGREQ, dead-link detection). It knows
 * nothing of sessions or subscriptions.
 */
import type { Duplex } from 'node:stream'
import type { Clock, TimerHandle } from '../core/clock.js'
import { ConnectionLostError, KeepAliveTimeoutError, PacketTooLargeError, QosmosError } from '../core/errors.js'
import { PacketDecoder, encode } from '../protocol/index.js'
import type { DisconnectPacket, Packet, ProtocolVersion, PublishPacket } from '../protocol/packets.js'
import { InboundAliases, OutboundAliases } from './topic-aliases.js'

export interface WireHandlers {
  packet (packet: Packet): void
  /** Once, when the connection is gone; `error` says why unless we closed it ourselves. */
  closed (error: Error | undefined): void
  /** A packet was not written because it exceeds the server's Maximum Packet Size. */
  oversized (packet: Packet, error: PacketTooLargeError): void
}

export interface WireOptions {
  readonly version: ProtocolVersion
  readonly clock: Clock
  /** Largest packet we accept (v5 Maximum Packet Size we announced). */
  readonly maxPacketSize?: number
  /** Topic Alias Maximum we announced (v5). */
  readonly topicAliasMaximum: number
}

export class Wire {
  readonly #stream: Duplex
  readonly #decoder: PacketDecoder
  readonly #handlers: WireHandlers
  readonly #clock: Clock
  readonly version: ProtocolVersion
  readonly #inboundAliases: InboundAliases
  #outboundAliases: OutboundAliases | undefined
  /** The server's Maximum Packet Size (v5 CONNACK); what we send never exceeds it (v5 [MQTT-3.2.2-15]). */
  peerMaxPacketSize = Infinity
  #closed = false
  #keepAliveMs = 0
  #pingTimeoutMs = 0
  #lastSent = 0
  #pingSentAt: number | undefined
  #timer: TimerHandle | undefined

  constructor (stream: Duplex, handlers: WireHandlers, options: WireOptions) {
    this.#stream = stream
    this.#handlers = handlers
    this.#clock = options.clock
    this.version = options.version
    this.#decoder = new PacketDecoder({ protocolVersion: options.version, ...(options.maxPacketSize === undefined ? {} : { maxPacketSize: options.maxPacketSize }) })
    this.#inboundAliases = new InboundAliases(options.version === 5 ? options.topicAliasMaximum : 0)
    this.#lastSent = this.#clock.now()
    stream.on('data', this.#onData)
    stream.on('error', this.#onError)
    stream.on('close', this.#onClose)
    stream.on('end', this.#onClose)
  }

  get closed (): boolean { return this.#closed }

  /** Topic aliases for our PUBLISH packets, up to the server's maximum (0 = none). */
  useOutboundAliases (maximum: number): void {
    this.#outboundAliases = maximum > 0 ? new OutboundAliases(maximum) : undefined
  }

  /** The size `packet` has on this connection, before aliases. */
  sizeOf (packet: Packet): number { return encode(packet, this.version).length }

  /**
   * Encodes and writes a packet; false when it was not written (closed, or larger than the
   * server's Maximum Packet Size: v5 [MQTT-3.2.2-15] the client MUST NOT send it).
   */
  send (packet: Packet): boolean {
    if (this.#closed) return false
    let out = packet
    if (out.type === 'publish' && this.#outboundAliases !== undefined) out = this.#outboundAliases.apply(out)
    const bytes = encode(out, this.version)
    if (bytes.length > this.peerMaxPacketSize) {
      if (out !== packet) this.#outboundAliases?.forget((packet as PublishPacket).topic)
      this.#handlers.oversized(packet, new PacketTooLargeError(bytes.length, this.peerMaxPacketSize))
      return false
    }
    this.#lastSent = this.#clock.now()
    this.#stream.write(bytes)
    return true
  }

  /**
   * Starts keep alive: v5 [MQTT-3.1.2-20], v3.1.1 [MQTT-3.1.2-23] when nothing else was sent for
   * Keep Alive seconds a PINGREQ goes out; no answer within `pingTimeoutMs` means a dead link.
   */
  startKeepAlive (seconds: number, pingTimeoutMs: number | undefined): void {
    this.#keepAliveMs = seconds * 1000
    this.#pingTimeoutMs = pingTimeoutMs ?? Math.min(this.#keepAliveMs, 30_000)
    if (this.#keepAliveMs > 0) this.#arm(this.#keepAliveMs)
  }

  /** Sends DISCONNECT (if given) and ends the connection; `closed` gets no error. */
  close (disconnect?: DisconnectPacket): void {
    if (this.#closed) return
    if (disconnect !== undefined) this.send(disconnect)
    this.#finish(undefined)
    this.#stream.end()
    const timer = setTimeout(() => this.#stream.destroy(), 2000)
    timer.unref()
  }

  /** Ends the connection at once, reporting `error`. */
  destroy (error?: Error): void {
    if (this.#closed) return
    this.#finish(error)
    this.#stream.destroy()
  }

  #finish (error: Error | undefined): void {
    this.#closed = true
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#stream.off('data', this.#onData)
    this.#handlers.closed(error)
  }

  readonly #onData = (chunk: Buffer): void => {
    // Anything from the server shows the link is alive: an outstanding PINGREQ is answered.
    this.#pingSentAt = undefined
    const result = this.#decoder.push(chunk)
    for (const packet of result.packets) {
      if (this.#closed) return
      let resolved: Packet = packet
      if (packet.type === 'publish' && this.version === 5) {
        try {
          resolved = this.#inboundAliases.resolve(packet)
        } catch (error) {
          this.fail(error as QosmosError)
          return
        }
      }
      this.#handlers.packet(resolved)
    }
    if (result.error !== undefined) this.fail(result.error)
  }

  /** A protocol error by the server: v5 DISCONNECT with the reason code (v5 4.13), then close. */
  fail (error: Error): void {
    if (this.#closed) return
    const reasonCode = error instanceof QosmosError && error.reasonCode !== undefined ? error.reasonCode : 0x82
    if (this.version === 5) this.send({ type: 'disconnect', reasonCode, properties: { reasonString: error.message.slice(0, 200) } })
    this.#finish(error)
    this.#stream.end()
    setTimeout(() => this.#stream.destroy(), 1000).unref()
  }

  #arm (ms: number): void {
    this.#timer = this.#clock.setTimeout(this.#tick, Math.max(1, ms))
  }

  readonly #tick = (): void => {
    if (this.#closed) return
    const now = this.#clock.now()
    if (this.#pingSentAt !== undefined && now - this.#pingSentAt >= this.#pingTimeoutMs) {
      this.destroy(new KeepAliveTimeoutError(this.#pingTimeoutMs))
      return
    }
    const idle = now - this.#lastSent
    if (this.#pingSentAt === undefined && idle >= this.#keepAliveMs) {
      this.send({ type: 'pingreq' })
      this.#pingSentAt = now
    }
    const nextPing = this.#keepAliveMs - (this.#clock.now() - this.#lastSent)
    const nextDeadline = this.#pingSentAt === undefined ? Infinity : this.#pingSentAt + this.#pingTimeoutMs - now
    this.#arm(Math.min(nextPing > 0 ? nextPing : this.#keepAliveMs, nextDeadline))
  }

  readonly #onError = (error: Error): void => { if (!this.#closed) this.#finish(new ConnectionLostError(error.message, { cause: error })) }
  readonly #onClose = (): void => { if (!this.#closed) this.#finish(new ConnectionLostError()) }
}
