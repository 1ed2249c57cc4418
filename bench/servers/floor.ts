/**
 * The Node floor: a reference point for the benchmark, not a broker. It does the least that any
 * MQTT broker in a Node process must do for the bench's traffic, on qosmos's own bare-handle TCP
 * transport (lib/transport/raw-tcp.ts): frame packets, answer CONNECT, SUBSCRIBE and PINGREQ,
 * forward each PUBLISH to the connections whose filters match (the packet's own bytes, only the
 * packet id patched), acknowledge QoS 1 and 2 at once, keep the last retained message per topic,
 * and write what one read caused at the end of that read.
 *
 * It has no sessions, no validation, no flow control, no retransmission, no keep-alive and no
 * authentication, so it is not MQTT-conformant and must never serve anything but the bench. What it
 * measures is the cost of the Node runtime itself for the same traffic (event loop, V8, one TCP
 * handle per connection, the same system calls): how close qosmos runs to that floor, and whether
 * a goal set against a C broker is reachable in Node at all. `--brokers ...,floor` adds it to a run.
 */
import { createServer } from 'node:net'
import { acceptRaw, type RawTcpStream } from '../../lib/transport/raw-tcp.js'
import type { StreamSink } from '../../lib/transport/contract.js'
import { readVariableByteInteger, vbiSize, VBI_INCOMPLETE, writeVariableByteInteger, type VbiResult } from '../../lib/protocol/frame.js'
import { filterMatches } from '../../lib/protocol/topics.js'
import { serve } from './serve.js'

interface Subscription { readonly filter: string, readonly qos: number }

/** A packet's position inside the buffer it was read into. */
interface Frame { readonly type: number, readonly flags: number, readonly start: number, readonly body: number, readonly end: number }

const PINGRESP = Buffer.from([0xd0, 0])

class FloorConnection implements StreamSink {
  level = 4
  readonly subscriptions: Subscription[] = []
  /** QoS 2 packet ids received and not yet released (delivered once, as exactly-once asks). */
  readonly #incoming = new Set<number>()
  #nextId = 0
  #pending: Buffer | undefined

  constructor (readonly stream: RawTcpStream, private readonly relay: Relay) {}

  nextPacketId (): number {
    this.#nextId = this.#nextId === 0xffff ? 1 : this.#nextId + 1
    return this.#nextId
  }

  streamData (chunk: Buffer): void {
    const data = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk])
    this.#pending = undefined
    let offset = 0
    for (;;) {
      const frame = readFrame(data, offset)
      if (frame === undefined) break
      if (frame === null) { this.stream.destroy(); this.relay.drop(this) }
      if (frame === null || !this.#handle(data, frame)) { this.relay.flush(); return }
      offset = frame.end
    }
    if (offset < data.length) this.#pending = data.subarray(offset)
    this.relay.flush()
  }

  streamEnded (): void { this.relay.drop(this) }

  /** Acts on one packet; false when the connection is gone (DISCONNECT, or a packet it does not know). */
  #handle (data: Buffer, f: Frame): boolean {
    switch (f.type) {
      case 1: { // CONNECT: protocol name (2-byte length + bytes), then the level
        this.level = data[f.body + 2 + data.readUInt16BE(f.body)] ?? 4
        this.relay.send(this, Buffer.from(this.level === 5 ? [0x20, 3, 0, 0, 0] : [0x20, 2, 0, 0]))
        break
      }
      case 3: this.#publish(data, f); break
      case 4: case 7: break // PUBACK, PUBCOMP from a subscriber: nothing is kept to release
      case 5: this.relay.send(this, Buffer.from([0x62, 2, data[f.body] ?? 0, data[f.body + 1] ?? 0])); break // PUBREC -> PUBREL
      case 6: { // PUBREL -> PUBCOMP
        this.#incoming.delete(data.readUInt16BE(f.body))
        this.relay.send(this, Buffer.from([0x70, 2, data[f.body] ?? 0, data[f.body + 1] ?? 0]))
        break
      }
      case 8: this.#subscribe(data, f); break
      case 12: this.relay.send(this, PINGRESP); break
      case 14: this.stream.end(); this.relay.drop(this); return false
      default: this.stream.destroy(); this.relay.drop(this); return false
    }
    return true
  }

  #publish (data: Buffer, f: Frame): void {
    const qos = (f.flags >> 1) & 3
    const topicLength = data.readUInt16BE(f.body)
    const topic = data.toString('utf8', f.body + 2, f.body + 2 + topicLength)
    const idAt = f.body + 2 + topicLength
    const afterId = idAt + (qos > 0 ? 2 : 0)
    const payloadAt = this.level === 5 ? skipVarint(data, afterId) : afterId
    const packet = data.subarray(f.start, f.end)
    if (qos > 0) {
      const id = data.readUInt16BE(idAt)
      this.relay.send(this, Buffer.from([qos === 1 ? 0x40 : 0x50, 2, id >> 8, id & 0xff]))
      if (qos === 2) {
        if (this.#incoming.has(id)) return
        this.#incoming.add(id)
      }
    }
    if ((f.flags & 1) !== 0) this.relay.retain(topic, packet, f.body - f.start, payloadAt === f.end)
    this.relay.route(topic, packet, qos, idAt - f.start)
  }

  #subscribe (data: Buffer, f: Frame): void {
    let at = f.body + 2
    if (this.level === 5) at = skipVarint(data, at)
    const granted: number[] = []
    while (at < f.end) {
      const length = data.readUInt16BE(at)
      const filter = data.toString('utf8', at + 2, at + 2 + length)
      const qos = (data[at + 2 + length] ?? 0) & 3
      this.subscriptions.push({ filter, qos })
      granted.push(qos)
      at += 3 + length
    }
    const props = this.level === 5 ? [0] : []
    this.relay.send(this, Buffer.from([0x90, 2 + props.length + granted.length, data[f.body] ?? 0, data[f.body + 1] ?? 0, ...props, ...granted]))
    for (const sub of this.subscriptions.slice(this.subscriptions.length - granted.length)) this.relay.replayRetained(this, sub)
  }
}

class Relay {
  readonly #connections = new Set<FloorConnection>()
  readonly #retained = new Map<string, { packet: Buffer, body: number }>()
  readonly #touched = new Set<FloorConnection>()

  add (connection: FloorConnection): void { this.#connections.add(connection) }
  drop (connection: FloorConnection): void { this.#connections.delete(connection) }

  send (to: FloorConnection, packet: Buffer): void {
    if (!this.#touched.has(to)) { this.#touched.add(to); to.stream.cork() }
    to.stream.write(packet)
  }

  flush (): void {
    for (const connection of this.#touched) connection.stream.uncork()
    this.#touched.clear()
  }

  route (topic: string, packet: Buffer, qos: number, idOffset: number): void {
    for (const connection of this.#connections) {
      for (const sub of connection.subscriptions) {
        if (!filterMatches(sub.filter, topic)) continue
        this.send(connection, copyFor(connection, packet, qos, Math.min(qos, sub.qos), idOffset, false))
        break
      }
    }
  }

  retain (topic: string, packet: Buffer, body: number, payloadEmpty: boolean): void {
    if (payloadEmpty) this.#retained.delete(topic)
    else this.#retained.set(topic, { packet: Buffer.from(packet), body })
  }

  replayRetained (to: FloorConnection, sub: Subscription): void {
    for (const [topic, { packet, body }] of this.#retained) {
      if (!filterMatches(sub.filter, topic)) continue
      const qos = ((packet[0] ?? 0) >> 1) & 3
      this.send(to, copyFor(to, packet, qos, Math.min(qos, sub.qos), body + 2 + packet.readUInt16BE(body), true))
    }
  }
}

/**
 * The packet as `to` receives it: the same bytes when nothing changes (QoS 0, retain kept as
 * asked), else a copy with the RETAIN bit set as asked and a packet id of `to`'s own. A lower
 * QoS than published is rebuilt without the packet id.
 */
function copyFor (to: FloorConnection, packet: Buffer, qos: number, outQos: number, idOffset: number, retain: boolean): Buffer {
  const first = ((packet[0] ?? 0) & 0xf8) | (outQos << 1) | (retain ? 1 : 0)
  if (outQos === qos) {
    if (qos === 0 && first === packet[0]) return packet
    const copy = Buffer.from(packet)
    copy[0] = first
    if (qos > 0) copy.writeUInt16BE(to.nextPacketId(), idOffset)
    return copy
  }
  readVariableByteInteger(packet, 1, packet.length, vbi)
  const head = packet.subarray(1 + vbi.length, idOffset)
  const rest = packet.subarray(idOffset + (qos > 0 ? 2 : 0))
  const length = head.length + (outQos > 0 ? 2 : 0) + rest.length
  const out = Buffer.allocUnsafe(1 + vbiSize(length) + length)
  out[0] = first
  let at = writeVariableByteInteger(out, 1, length)
  at += head.copy(out, at)
  if (outQos > 0) at = out.writeUInt16BE(to.nextPacketId(), at)
  rest.copy(out, at)
  return out
}

const vbi: VbiResult = { value: 0, length: 0 }

/** The next whole packet at `offset`; undefined when it has not all arrived, null when malformed. */
function readFrame (data: Buffer, offset: number): Frame | undefined | null {
  const r = readVariableByteInteger(data, offset + 1, data.length, vbi)
  if (r === VBI_INCOMPLETE) return undefined
  if (r !== 0) return null
  const body = offset + 1 + vbi.length
  if (body + vbi.value > data.length) return undefined
  const first = data[offset] as number
  return { type: first >> 4, flags: first & 0x0f, start: offset, body, end: body + vbi.value }
}

/** Skips a Variable Byte Integer length and what it counts (v5 properties). */
function skipVarint (data: Buffer, at: number): number {
  if (readVariableByteInteger(data, at, data.length, vbi) !== 0) return data.length
  return at + vbi.length + vbi.value
}

await serve('floor', async (port) => {
  const relay = new Relay()
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve) })
  const raw = acceptRaw(server, (stream) => {
    const connection = new FloorConnection(stream, relay)
    relay.add(connection)
    stream.attach(connection)
  }, (error) => { console.error(`floor: ${error.message}`) })
  if (!raw) throw new Error('this node has no bare TCP handles (process.binding tcp_wrap)')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return {
    port: address.port,
    close: async () => { await new Promise<void>((resolve) => server.close(() => resolve())) }
  }
})
