/**
 * The hot path of the load client, by hand: a frame splitter, PUBLISH built from a per-publisher
 * template, and 4-byte acknowledgements. Control packets (CONNECT, SUBSCRIBE, DISCONNECT, a v5
 * CONNACK's properties) go through mqtt-packet in client.ts; they are not on the hot path.
 *
 * Payload layout (all big-endian), so subscribers count loss, duplicates and latency:
 *   0..3 publisher id, 4..7 sequence number (from 0), 8..15 send time (performance.now(), ms)
 */
import type { BenchQoS, MqttLevel } from '../lib/types.js'

export const PAYLOAD_HEADER_BYTES = 16

/** MQTT control packet types (the high nibble of the first byte). */
export const CONNACK = 2
export const PUBLISH = 3
export const PUBACK = 4
export const PUBREC = 5
export const PUBREL = 6
export const PUBCOMP = 7
export const SUBACK = 9
export const PINGRESP = 13
export const DISCONNECT = 14
export type AckType = typeof PUBACK | typeof PUBREC | typeof PUBREL | typeof PUBCOMP

/**
 * Splits a byte stream into MQTT packets. `onFrame` gets the first byte, where the packet starts
 * and its body's bounds inside `buf`; it must not keep `buf` beyond the call.
 */
export class FrameSplitter {
  #pending: Buffer | undefined
  readonly #onFrame: (first: number, buf: Buffer, frameStart: number, start: number, end: number) => void
  constructor (onFrame: (first: number, buf: Buffer, frameStart: number, start: number, end: number) => void) {
    this.#onFrame = onFrame
  }

  push (chunk: Buffer): void {
    let buf = chunk
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, chunk])
      this.#pending = undefined
    }
    let pos = 0
    const length = buf.length
    while (pos < length) {
      if (length - pos < 2) break
      let remaining = 0
      let multiplier = 1
      let cursor = pos + 1
      let complete = false
      for (let i = 0; i < 4 && cursor < length; i++) {
        const byte = buf[cursor++] as number
        remaining += (byte & 0x7f) * multiplier
        multiplier *= 128
        if ((byte & 0x80) === 0) { complete = true; break }
      }
      if (!complete) {
        if (cursor - pos > 4) throw new Error('malformed remaining length from broker')
        break
      }
      if (cursor + remaining > length) break
      this.#onFrame(buf[pos] as number, buf, pos, cursor, cursor + remaining)
      pos = cursor + remaining
    }
    if (pos < length) this.#pending = buf.subarray(pos)
  }
}

/** Reads a variable byte integer; returns [value, next offset]. */
export function readVarint (buf: Buffer, offset: number): [number, number] {
  let value = 0
  let multiplier = 1
  let pos = offset
  for (let i = 0; i < 4; i++) {
    const byte = buf[pos++] as number
    value += (byte & 0x7f) * multiplier
    multiplier *= 128
    if ((byte & 0x80) === 0) break
  }
  return [value, pos]
}

function varintBytes (value: number): number[] {
  const out: number[] = []
  let rest = value
  do {
    let byte = rest % 128
    rest = Math.floor(rest / 128)
    if (rest > 0) byte |= 0x80
    out.push(byte)
  } while (rest > 0)
  return out
}

/** Where a PUBLISH body's parts are: the packet id (0 for QoS 0) and the payload's offset. */
export function publishPayloadStart (buf: Buffer, start: number, qos: number, level: MqttLevel): number {
  let pos = start + 2 + buf.readUInt16BE(start)
  if (qos > 0) pos += 2
  if (level === 5) {
    const [propertiesLength, next] = readVarint(buf, pos)
    pos = next + propertiesLength
  }
  return pos
}

/**
 * Builds PUBLISH packets for one topic quickly: the fixed header, topic and padding are copied
 * from a template and only the packet id, sequence number and send time are written per message.
 */
export class PublishTemplate {
  readonly #template: Buffer
  readonly #packetIdOffset: number
  readonly #payloadOffset: number

  constructor (topic: string, qos: BenchQoS, retain: boolean, level: MqttLevel, publisherId: number, payloadBytes: number) {
    const topicBytes = Buffer.from(topic, 'utf8')
    const payloadLength = Math.max(PAYLOAD_HEADER_BYTES, payloadBytes)
    const variable = 2 + topicBytes.length + (qos > 0 ? 2 : 0) + (level === 5 ? 1 : 0)
    const header = [0x30 | (qos << 1) | (retain ? 1 : 0), ...varintBytes(variable + payloadLength)]
    const template = Buffer.alloc(header.length + variable + payloadLength)
    let pos = 0
    for (const byte of header) template[pos++] = byte
    pos = template.writeUInt16BE(topicBytes.length, pos)
    pos += topicBytes.copy(template, pos)
    this.#packetIdOffset = qos > 0 ? pos : -1
    if (qos > 0) pos += 2
    if (level === 5) template[pos++] = 0 // no properties
    this.#payloadOffset = pos
    template.writeUInt32BE(publisherId, pos)
    this.#template = template
  }

  build (packetId: number, seq: number, sentAt: number): Buffer {
    const out = Buffer.allocUnsafe(this.#template.length)
    this.#template.copy(out)
    if (this.#packetIdOffset >= 0) out.writeUInt16BE(packetId, this.#packetIdOffset)
    out.writeUInt32BE(seq, this.#payloadOffset + 4)
    out.writeDoubleBE(sentAt, this.#payloadOffset + 8)
    return out
  }
}

/** PUBACK, PUBREC, PUBREL or PUBCOMP with remaining length 2 (reason 0x00 implied in v5). */
export function ackPacket (type: AckType, packetId: number): Buffer {
  const out = Buffer.allocUnsafe(4)
  out[0] = (type << 4) | (type === PUBREL ? 0x02 : 0)
  out[1] = 2
  out.writeUInt16BE(packetId, 2)
  return out
}

export const PINGREQ = Buffer.from([0xc0, 0x00])
