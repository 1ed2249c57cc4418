/**
 * One client connection: bytes in through the streaming decoder, packets handled strictly in
 * arrival order (a handler that returns a promise pauses reading until it settles, which is the
 * broker's backpressure), packets out through one encoder with writes corked per tick. It also
 * owns the per-connection rules of the wire: keep alive, outbound Maximum Packet Size, outbound
 * topic aliases, Request Problem Information. It knows nothing of sessions or routing.
 */
import type { Clock } from '../core/clock.js'
import { ConnectionLostError, KeepAliveTimeoutError, QosmosError, ProtocolViolationError, UnsupportedProtocolVersionError } from '../core/errors.js'
import { PacketDecoder, PublishTemplates, encode, encodeRouted } from '../protocol/index.js'
import type { DisconnectPacket, Packet, ProtocolVersion, PublishPacket } from '../protocol/packets.js'
import type { ByteStream, PeerInfo, StreamSink } from '../transport/contract.js'
import type { KeepAliveWatch, Watched } from './keep-alive.js'
import { OutboundTopicAliases } from './topic-alias.js'

export interface ConnectionHandlers {
  /** Handles one packet; a returned promise holds back the following packets until it settles. */
  packet (connection: Connection, packet: Packet): void | Promise<void>
  /** Called once when the connection has closed; `error` is why, when it was not a clean close. */
  closed (connection: Connection, error: Error | undefined): void
}

export interface ConnectionOptions {
  readonly clock: Clock
  /** Largest packet accepted, in bytes. */
  readonly maxPacketSize: number
  /** Broker-wide traffic counters this connection adds to ($SYS). */
  readonly counters?: TrafficCounters
  /** The broker's one keep-alive timer. */
  readonly keepAlive: KeepAliveWatch
}

export interface TrafficCounters {
  bytesReceived: number
  bytesSent: number
  messagesReceived: number
  messagesSent: number
  publishSent: number
}

const NO_COUNTERS: TrafficCounters = { bytesReceived: 0, bytesSent: 0, messagesReceived: 0, messagesSent: 0, publishSent: 0 }

/** Reason for ending the connection, sent in a v5 DISCONNECT when the client is connected. */
export interface CloseReason { readonly reasonCode: number, readonly reasonString?: string }

let nextConnectionId = 1
const MAX_PACKET_SIZE_UNLIMITED = 268_435_460
/**
 * Shared by every connection: a message routed to many subscribers is encoded once and each
 * copy patches only its packet id (payloads are never modified once published).
 */
const routedTemplates = new PublishTemplates()

export class Connection implements StreamSink, Watched {
  readonly id = nextConnectionId++
  readonly peer: PeerInfo
  readonly #stream: ByteStream
  readonly #decoder: PacketDecoder
  readonly #handlers: ConnectionHandlers
  readonly #clock: Clock
  readonly #counters: TrafficCounters
  readonly #watch: KeepAliveWatch
  #version: ProtocolVersion | undefined
  /** Packets (or a decoding error) waiting for a handler that returned a promise. */
  #queue: Array<Packet | QosmosError> | undefined
  #busy = false
  #corked = false
  #closed = false
  /** Set once CONNACK 0x00 went out: only then may the server send DISCONNECT (v5 [MQTT-3.14.0-1]). */
  #accepted = false
  #keepAliveMs = 0
  #lastReceived = 0
  /** @internal KeepAliveWatch's fields. */
  keepAliveAt = 0
  keepAliveSlot = -1

  /** Negotiated from CONNECT (v5): what the client accepts. */
  maxPacketSizeOut = MAX_PACKET_SIZE_UNLIMITED
  requestProblemInformation = true
  aliasesOut: OutboundTopicAliases | undefined
  /** Size of the last packet other than PUBLISH that `send` refused as too large for the client. */
  refusedSize = 0
  /** Application state the broker hangs on the connection (its session, client info). */
  context: unknown

  constructor (stream: ByteStream, peer: PeerInfo, handlers: ConnectionHandlers, options: ConnectionOptions) {
    this.#stream = stream
    this.peer = peer
    this.#handlers = handlers
    this.#clock = options.clock
    this.#counters = options.counters ?? NO_COUNTERS
    this.#watch = options.keepAlive
    this.#decoder = new PacketDecoder({ maxPacketSize: options.maxPacketSize })
    this.#lastReceived = this.#clock.now()
    stream.attach(this)
  }

  get protocolVersion (): ProtocolVersion | undefined { return this.#version }
  get closed (): boolean { return this.#closed }
  /** Bytes accepted for writing but not yet flushed to the peer. */
  get pendingBytes (): number { return this.#stream.pendingBytes }

  /** Fixes the protocol level after CONNECT; the decoder follows it from there on. */
  setProtocolVersion (version: ProtocolVersion): void { this.#version = version }

  /** Marks the connection accepted (CONNACK 0x00 sent) and starts the keep-alive watch. */
  accept (keepAliveSeconds: number): void {
    this.#accepted = true
    this.#keepAliveMs = keepAliveSeconds * 1000
    if (this.#keepAliveMs > 0) this.#armKeepAlive(this.#lastReceived + this.#keepAliveMs * 1.5)
  }

  /**
   * Encodes and writes a packet. For v5 it applies what the client asked for: no packet above
   * its Maximum Packet Size (v5 [MQTT-3.1.2-24]; a PUBLISH that would exceed it is dropped as
   * if sent, [MQTT-3.1.2-25], others lose Reason String and User Properties first), topic
   * aliases up to its Topic Alias Maximum, and no problem information when it asked for none
   * (v5 [MQTT-3.1.2-29]). Returns false when the packet was not written.
   */
  send (packet: Packet): boolean {
    if (this.#closed) return false
    const version = this.#version ?? 4
    let out = packet
    if (version === 5) {
      if (!this.requestProblemInformation && packet.type !== 'publish' && packet.type !== 'connack' && packet.type !== 'disconnect') {
        out = withoutProblemInformation(out)
      }
      if (out.type === 'publish' && this.aliasesOut !== undefined) out = this.aliasesOut.apply(out)
    }
    let bytes = out.type === 'publish' ? encodeRouted(out, version, routedTemplates) : encode(out, version)
    if (bytes.length > this.maxPacketSizeOut) {
      if (out.type === 'publish') {
        if (this.aliasesOut !== undefined && out !== packet) this.aliasesOut.forgetLast(out as PublishPacket)
        return false
      }
      bytes = encode(withoutProblemInformation(out), version)
      if (bytes.length > this.maxPacketSizeOut) { this.refusedSize = bytes.length; return false }
    }
    if (!this.#corked) {
      this.#corked = true
      this.#stream.cork()
      corkedThisTurn(this)
    }
    this.#stream.write(bytes)
    this.#counters.bytesSent += bytes.length
    this.#counters.messagesSent++
    if (out.type === 'publish') this.#counters.publishSent++
    return true
  }

  /** @internal flushes the writes of this tick. */
  flush (): void {
    if (!this.#corked) return
    this.#corked = false
    this.#stream.uncork()
  }

  /**
   * Ends the connection. For an accepted v5 client a DISCONNECT with the reason goes out first
   * (v5 [MQTT-3.14.4-1] nothing after it, [MQTT-3.14.4-2] then the network connection closes).
   */
  close (reason?: CloseReason, error?: Error): void {
    if (this.#closed) return
    if (reason !== undefined && this.#accepted && this.#version === 5) {
      const packet: DisconnectPacket = reason.reasonString === undefined
        ? { type: 'disconnect', reasonCode: reason.reasonCode }
        : { type: 'disconnect', reasonCode: reason.reasonCode, properties: { reasonString: reason.reasonString } }
      this.send(packet)
    }
    this.flush()
    this.#finish(error)
    // The stream cuts off a peer that does not read after a grace period.
    this.#stream.end()
  }

  /** Closes without a word (for a client that broke the protocol before CONNACK). */
  destroy (error?: Error): void {
    if (this.#closed) return
    this.flush()
    this.#finish(error)
    this.#stream.destroy()
  }

  #finish (error: Error | undefined): void {
    this.#closed = true
    this.#queue = undefined
    this.#watch.unwatch(this)
    this.#handlers.closed(this, error)
  }

  /** @internal StreamSink: bytes from the client. */
  streamData (chunk: Buffer): void {
    if (this.#closed) return
    reading++
    try {
      this.#read(chunk)
    } finally {
      // The end of the (outermost) read: what it wrote goes out now, as one write per connection.
      if (--reading === 0 && flushQueued) flushCorked()
    }
  }

  #read (chunk: Buffer): void {
    this.#lastReceived = this.#clock.now()
    const decoder = this.#decoder
    const packets = decoder.decode(chunk)
    const error = decoder.error
    this.#counters.bytesReceived += chunk.length
    this.#counters.messagesReceived += packets.length
    for (let i = 0; i < packets.length; i++) {
      const packet = packets[i] as Packet
      if (packet.type === 'connect') this.#decoderFollows(packet.protocolVersion)
    }
    let next = 0
    if (this.#queue === undefined) {
      // Nothing waits (the usual case): handled from the decoder's array, no queue made.
      while (next < packets.length && this.#ready()) this.#handle(packets[next++] as Packet)
      if (this.#closed || (next === packets.length && error === undefined)) return
    }
    const queue = this.#queue ??= []
    while (next < packets.length) queue.push(packets[next++] as Packet)
    if (error !== undefined) queue.push(error)
    this.#pump()
  }

  /** @internal StreamSink: the stream closed under us. */
  streamEnded (error: Error | undefined): void {
    if (!this.#closed) this.#finish(error ?? new ConnectionLostError())
  }

  #decoderFollows (version: ProtocolVersion): void {
    if (this.#version === undefined) this.#version = version
  }

  #pump (): void {
    const queue = this.#queue
    if (queue === undefined) return
    while (this.#ready() && queue.length > 0) {
      const item = queue.shift() as Packet | QosmosError
      if (item instanceof QosmosError) { this.fail(item); return }
      this.#handle(item)
    }
    // Nothing waits: let the array go (an idle connection keeps none).
    if (queue.length === 0) this.#queue = undefined
  }

  /** Whether the next packet may be handled now: no handler's promise pending, not closed. */
  #ready (): boolean { return !this.#busy && !this.#closed }

  /** Hands one packet to its handler; a returned promise holds back the next ones. */
  #handle (packet: Packet): void {
    let result: void | Promise<void>
    try {
      result = this.#handlers.packet(this, packet)
    } catch (err) {
      this.fail(err)
      return
    }
    if (result !== undefined) {
      this.#busy = true
      this.#stream.pause()
      result.then(() => { this.#resume() }, (err: unknown) => { this.#busy = false; this.fail(err) })
    }
  }

  #resume (): void {
    this.#busy = false
    if (this.#closed) return
    this.#stream.resume()
    this.#pump()
  }

  /** Ends the connection because of an error: v5 clients are told the reason code first. */
  fail (err: unknown): void {
    const error = err instanceof Error ? err : new ProtocolViolationError(String(err))
    if (error instanceof UnsupportedProtocolVersionError && this.#version === undefined && isMqttName(error.protocolName)) {
      // v3.1.1 [MQTT-3.1.2-2]: an unsupported level gets CONNACK 0x01, then the connection closes.
      // v5 [MQTT-3.1.2-2] allows a refusing CONNACK too; it goes in the 3.1.1 form, which a
      // client of an unknown level is likeliest to read. A wrong name gets nothing ([MQTT-3.1.2-1]).
      this.#version = 4
      this.send({ type: 'connack', sessionPresent: false, reasonCode: 0x01 })
    }
    const reasonCode = error instanceof QosmosError && error.reasonCode !== undefined ? error.reasonCode : 0x83
    this.close({ reasonCode, reasonString: error.message }, error)
  }

  #armKeepAlive (at: number): void {
    this.keepAliveAt = at
    this.#watch.watch(this)
  }

  /**
   * @internal KeepAliveWatch: the deadline passed. v3.1.1 [MQTT-3.1.2-24], v5 [MQTT-3.1.2-22]:
   * silent for 1.5x Keep Alive: close (v5 0x8D); otherwise watch for the new deadline.
   */
  keepAliveDue (now: number): void {
    if (this.#closed) return
    const limit = this.#keepAliveMs * 1.5
    const silent = now - this.#lastReceived
    if (silent >= limit) {
      this.close({ reasonCode: 0x8d, reasonString: 'keep alive timeout' }, new KeepAliveTimeoutError(limit, `no packet within 1.5 times the Keep Alive (${limit} ms)`))
      return
    }
    this.#armKeepAlive(this.#lastReceived + limit)
  }
}

/**
 * The connections that wrote in this turn, flushed together once.
 *
 * When the first write comes from handling a read (the usual case), the flush runs as the read
 * returns (Connection.streamData): every write that the read caused, on this connection and on
 * the subscribers' connections, goes out then, one `writev` per connection, with no job queued
 * for it. (Before, a microtask did it, which the end of the read's callback ran at once anyway.)
 *
 * When the first write comes from a promise continuation (a store write completed, a hook
 * answered) or a timer, more continuations are usually on their way: the copies a commit
 * released, one after the other through a session's serial runner. So then the flush is a
 * `process.nextTick`, which node runs once the microtask queue is empty: a microtask would run
 * between those continuations and send each copy in its own `writev` (with the durable store:
 * 2.7x fewer messages a second, the load process reading one segment per message).
 */
const corked: Array<Connection | undefined> = []
let flushQueued = false
/** Above 0 while a read is being handled (Connection.streamData). */
let reading = 0

function corkedThisTurn (connection: Connection): void {
  corked.push(connection)
  if (flushQueued) return
  flushQueued = true
  // A read flushes when it returns (Connection.streamData).
  if (reading === 0) process.nextTick(flushCorked)
}

function flushCorked (): void {
  // A flush may make other connections write (a write error closes one, and what follows may
  // publish); those join the list and are flushed by this same loop. One that throws (a bug)
  // must not leave the others corked, nor this list stuck: the error is rethrown at the end.
  let thrown: { error: unknown } | undefined
  for (let i = 0; i < corked.length; i++) {
    const connection = corked[i] as Connection
    corked[i] = undefined
    try {
      connection.flush()
    } catch (error) {
      thrown ??= { error }
    }
  }
  corked.length = 0
  flushQueued = false
  if (thrown !== undefined) throw thrown.error
}

const isMqttName = (name: string): boolean => name === 'MQTT' || name === 'MQIsdp'

function withoutProblemInformation (packet: Packet): Packet {
  if (!('properties' in packet) || packet.properties === undefined) return packet
  const { reasonString: _r, userProperties: _u, ...rest } = packet.properties as { reasonString?: string, userProperties?: unknown }
  return { ...packet, properties: rest } as Packet
}

