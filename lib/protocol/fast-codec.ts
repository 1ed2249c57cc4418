/**
 * The codec's fast path for the packets of the message flow, written by hand instead of going
 * through mqtt-packet: PUBLISH, with its v5 properties (publish-properties.ts), and
 * PUBACK/PUBREC/PUBREL/PUBCOMP without properties. Everything else (and every packet these
 * decline, by returning undefined) takes the general path, which gives byte-identical results:
 * the fixtures and test/protocol check both.
 *
 * The callers keep their checks: the decoder runs the raw walk (scan.ts) before and the
 * semantic checks (validate.ts) after; the encoder validates a packet before writing it, except
 * for a copy of a PUBLISH it has just validated and encoded (see PublishTemplates).
 */
import { MAX_REMAINING_LENGTH, PacketCode, readVariableByteInteger, vbiSize, writeVariableByteInteger, type VbiResult } from './frame.js'
import type { ProtocolVersion, PublishAckPacket, PublishPacket, PublishProperties, QoS } from './packets.js'
import { DECLINE, publishPropertiesSize, readPublishProperties, writePublishProperties } from './publish-properties.js'

const ACK_TYPES = [undefined, undefined, undefined, undefined, 'puback', 'pubrec', 'pubrel', 'pubcomp'] as const

const vbi: VbiResult = { value: 0, length: 0 }

/**
 * A PUBLISH whose body the raw walk has checked, v5 properties included. The packet is
 * `frame[at, end)` (a read may hold several: no view is made of it), `frame[at + headerLength]`
 * starts the Topic Name.
 */
export function decodePublish (frame: Buffer, headerLength: number, version: ProtocolVersion, at = 0, end = frame.length): PublishPacket | undefined {
  const first = frame[at] as number
  const qos = ((first >> 1) & 3) as QoS
  const topicStart = at + headerLength + 2
  const topicEnd = topicStart + frame.readUInt16BE(at + headerLength)
  let p = topicEnd
  let packetId = 0
  if (qos > 0) {
    packetId = frame.readUInt16BE(p)
    p += 2
  }
  let properties: PublishProperties | undefined
  if (version === 5) {
    // Property Length 0 is one byte 0x00 (no properties object, as on the general path).
    if (frame[p] === 0) p += 1
    else {
      readVariableByteInteger(frame, p, end, vbi)
      const start = p + vbi.length
      p = start + vbi.value
      properties = readPublishProperties(frame, start, p)
    }
  }
  const topic = frame.toString('utf8', topicStart, topicEnd)
  const payload = frame.subarray(p, end)
  const retain = (first & 1) === 1
  const dup = (first & 8) === 8
  // The same shapes, in the same key order, as codec-decode.ts builds.
  if (properties !== undefined) {
    return qos === 0
      ? { type: 'publish', topic, payload, qos, retain, dup, properties }
      : { type: 'publish', topic, payload, qos, retain, dup, packetId, properties }
  }
  return qos === 0
    ? { type: 'publish', topic, payload, qos, retain, dup }
    : { type: 'publish', topic, payload, qos, retain, dup, packetId }
}

/**
 * PUBACK, PUBREC, PUBREL or PUBCOMP with no properties (checked by the raw walk), the packet
 * being `frame[at, end)`; else undefined.
 */
export function decodeAck (frame: Buffer, headerLength: number, code: number, version: ProtocolVersion, at = 0, end = frame.length): PublishAckPacket | undefined {
  const type = ACK_TYPES[code]
  if (type === undefined) return undefined
  const body = at + headerLength
  const length = end - body
  const packetId = frame.readUInt16BE(body)
  if (version !== 5) return length === 2 ? { type, packetId } : undefined
  // v5 3.4.2.1: Reason Code 0x00 when the Remaining Length is 2; a Property Length of 0 adds nothing.
  if (length === 2) return { type, packetId, reasonCode: 0 }
  if (length === 3 || (length === 4 && frame[body + 3] === 0)) return { type, packetId, reasonCode: frame[body + 2] as number }
  return undefined
}

/** Encodes an acknowledgement without properties as mqtt-packet would; undefined when it has properties. */
export function encodeAck (packet: PublishAckPacket, version: ProtocolVersion): Buffer | undefined {
  if (packet.properties !== undefined) return undefined
  const reasonCode = version === 5 ? packet.reasonCode ?? 0 : 0
  const out = Buffer.allocUnsafe(reasonCode === 0 ? 4 : 6)
  const code = PacketCode[packet.type]
  // v3.1.1 [MQTT-3.6.1-1], v5 [MQTT-3.6.1-1]: PUBREL's fixed-header flags are 0010.
  out[0] = (code << 4) | (code === PacketCode.pubrel ? 0x02 : 0)
  out[1] = reasonCode === 0 ? 2 : 4
  out.writeUInt16BE(packet.packetId, 2)
  if (reasonCode !== 0) {
    out[4] = reasonCode
    out[5] = 0
  }
  return out
}


/**
 * Encodes a validated PUBLISH (levels 3 and 4 drop the properties, as the general path does);
 * undefined for what it leaves to the general path: a properties key that is not a PUBLISH
 * property, a packet over the maximum Remaining Length.
 */
export function encodePublish (packet: PublishPacket, version: ProtocolVersion): Buffer | undefined {
  const properties = version === 5 ? packet.properties : undefined
  let propertiesSize = 0
  if (properties !== undefined) {
    propertiesSize = publishPropertiesSize(properties)
    if (propertiesSize === DECLINE) return undefined
  }
  const topicLength = Buffer.byteLength(packet.topic)
  const qos = packet.qos
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + (version === 5 ? vbiSize(propertiesSize) + propertiesSize : 0) + packet.payload.length
  if (remaining > MAX_REMAINING_LENGTH) return undefined
  const out = Buffer.allocUnsafe(1 + vbiSize(remaining) + remaining)
  out[0] = 0x30 | (packet.dup ? 8 : 0) | (qos << 1) | (packet.retain ? 1 : 0)
  let p = writeVariableByteInteger(out, 1, remaining)
  p = out.writeUInt16BE(topicLength, p)
  p += out.write(packet.topic, p, 'utf8')
  if (qos > 0) p = out.writeUInt16BE(packet.packetId as number, p)
  if (properties !== undefined) p = writePublishProperties(out, p, properties, propertiesSize)
  else if (version === 5) out[p++] = 0
  packet.payload.copy(out, p)
  return out
}

/** One remembered encoding (slots are reused: no allocation per message). */
interface Template {
  payload: Buffer | undefined
  topic: string
  properties: PublishProperties | undefined
  version: ProtocolVersion
  qos: QoS
  retain: boolean
  /** The encoded PUBLISH with DUP 0 (and, for QoS > 0, the packet id of its first encoding). */
  bytes: Buffer
  /** Offset of the packet id in `bytes`, -1 for QoS 0. */
  packetIdOffset: number
}

const EMPTY = Buffer.alloc(0)

/**
 * "Encode once per fan-out": the last few PUBLISH packets encoded, by payload Buffer (a message
 * routed to many subscribers keeps its payload object, and the router hands it to them one after
 * another). A packet equal to one of them in everything but packet id and DUP is a copy of its
 * bytes with those two patched; QoS 0 copies share the bytes.
 *
 * Only for payloads that are never modified once published, as in the broker (a message in
 * flight or queued already shares its payload); not for encode() in general, where an
 * application may refill one Buffer between publications.
 */
export class PublishTemplates {
  readonly #slots: Template[]
  #next = 0

  constructor (slots = 8) {
    this.#slots = Array.from({ length: slots }, () => ({
      payload: undefined, topic: '', properties: undefined, version: 4, qos: 0, retain: false, bytes: EMPTY, packetIdOffset: -1
    }))
  }

  /** The bytes of `packet` from a template, or undefined when there is none for it. */
  lookup (packet: PublishPacket, version: ProtocolVersion): Buffer | undefined {
    const payload = packet.payload
    for (const t of this.#slots) {
      if (t.payload !== payload || t.topic !== packet.topic || t.properties !== packet.properties || t.version !== version ||
        t.qos !== packet.qos || t.retain !== packet.retain) continue
      if (t.packetIdOffset < 0) return packet.dup || packet.packetId !== undefined ? undefined : t.bytes
      const id = packet.packetId
      // The checks encode() makes on the patched fields: v5 [MQTT-2.2.1-3], v3.1.1 [MQTT-2.3.1-1].
      if (id === undefined || !Number.isInteger(id) || id < 1 || id > 0xffff) return undefined
      const out = Buffer.allocUnsafe(t.bytes.length)
      t.bytes.copy(out)
      out.writeUInt16BE(id, t.packetIdOffset)
      if (packet.dup) out[0] = (out[0] as number) | 8
      return out
    }
    return undefined
  }

  /** Remembers the freshly encoded (and validated) `bytes` of `packet`; they are not modified. */
  remember (packet: PublishPacket, version: ProtocolVersion, bytes: Buffer): void {
    const t = this.#slots[this.#next] as Template
    this.#next = (this.#next + 1) % this.#slots.length
    let packetIdOffset = -1
    if (packet.qos > 0) {
      // Fixed header, then the Topic Name (2 + its length), then the packet id.
      let p = 1
      while (((bytes[p++] as number) & 0x80) !== 0);
      packetIdOffset = p + 2 + bytes.readUInt16BE(p)
    }
    let template = bytes
    if (packet.dup) {
      // Templates hold DUP 0; the caller's buffer stays as it is.
      template = Buffer.from(bytes)
      template[0] = (template[0] as number) & ~8
    }
    t.payload = packet.payload
    t.topic = packet.topic
    t.properties = packet.properties
    t.version = version
    t.qos = packet.qos
    t.retain = packet.retain
    t.bytes = template
    t.packetIdOffset = packetIdOffset
  }
}
