/**
 * `encode(packet, version)`: our `Packet` -> bytes, through mqtt-packet's generate. Refuses, with
 * a typed error, any packet our model says is invalid at that level (validate.ts in 'encode'
 * mode) instead of letting mqtt-packet write garbage or throw untyped errors. Three gaps of
 * mqtt-packet's generator are closed after it has run, each on bytes it produced:
 *  - User Properties: it groups them by name; we rewrite their run (same length) in our order,
 *    v5 [MQTT-3.3.2-18] / [MQTT-3.1.3-10].
 *  - v5 CONNECT with a password and no user name (allowed since v5 3.1.2.9): it refuses; we
 *    generate with an empty user name and remove it.
 *  - v5 CONNECT with an empty ClientId and Clean Start 0: it refuses; we generate with Clean
 *    Start 1 and clear the flag.
 */
import { generate } from 'mqtt-packet'
import { InvalidArgumentError, MalformedPacketError, type QosmosError } from '../core/errors.js'
import { toMqttPacket } from './codec-encode.js'
import { encodeAck, encodePublish, type PublishTemplates } from './fast-codec.js'
import { PacketCode, readVariableByteInteger, vbiSize, writeVariableByteInteger } from './frame.js'
import type { ConnectPacket, Packet, ProtocolVersion, PublishPacket, UserProperties } from './packets.js'
import { BodyScan, scanBody } from './scan.js'
import { validatePacket } from './validate.js'

/** Encodes `packet` for protocol level `version`; throws a QosmosError if it is invalid there. */
export function encode (packet: Packet, version: ProtocolVersion): Buffer {
  const invalid = validatePacket(packet, version, 'encode')
  if (invalid !== undefined) throw invalid
  // PUBLISH (v5 properties included) and acknowledgements without properties are written by hand (fast-codec.ts).
  switch (packet.type) {
    case 'publish': { const fast = encodePublish(packet, version); if (fast !== undefined) return fast; break }
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp': { const fast = encodeAck(packet, version); if (fast !== undefined) return fast; break }
    default: break
  }
  return encodeGeneral(packet, version)
}

/**
 * The general path of `encode`, through mqtt-packet, for a packet already validated at `version`.
 * Exported for the tests that check the fast path against it.
 */
export function encodeGeneral (packet: Packet, version: ProtocolVersion): Buffer {
  let source = packet
  let passwordOnly = false
  let keepSession = false
  if (packet.type === 'connect' && packet.protocolVersion === 5) {
    passwordOnly = packet.password !== undefined && packet.username === undefined
    keepSession = packet.clientId === '' && !packet.clean
    if (passwordOnly || keepSession) source = { ...packet, ...(passwordOnly ? { username: '' } : {}), ...(keepSession ? { clean: true } : {}) }
  }
  let bytes: Buffer
  try {
    bytes = generate(toMqttPacket(source, version), { protocolVersion: version })
  } catch (err) {
    throw new InvalidArgumentError(`cannot encode ${packet.type.toUpperCase()}: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (keepSession) bytes = clearCleanStart(bytes)
  if (passwordOnly) bytes = removeEmptyUserName(bytes, (packet as ConnectPacket).password as Buffer)
  if (version === 5 && hasUserProperties(packet)) {
    const e = restoreUserPropertyOrder(bytes, packet, version)
    if (e !== undefined) throw e
  }
  return bytes
}

/**
 * `encode` for a PUBLISH whose payload is never modified once published (a broker's routed
 * message): a copy of the same message for another subscriber reuses the bytes of the first
 * and patches only its packet id and DUP (fast-codec.ts PublishTemplates).
 */
export function encodeRouted (packet: PublishPacket, version: ProtocolVersion, templates: PublishTemplates): Buffer {
  const cached = templates.lookup(packet, version)
  if (cached !== undefined) return cached
  const bytes = encode(packet, version)
  templates.remember(packet, version, bytes)
  return bytes
}

function hasUserProperties (packet: Packet): boolean {
  const main = 'properties' in packet ? packet.properties?.userProperties : undefined
  const will = packet.type === 'connect' ? packet.will?.properties?.userProperties : undefined
  return (main !== undefined && main.length > 0) || (will !== undefined && will.length > 0)
}

function headerLength (bytes: Buffer): number {
  const vbi = { value: 0, length: 0 }
  readVariableByteInteger(bytes, 1, bytes.length, vbi)
  return 1 + vbi.length
}

/** Offset of the CONNECT flags byte: fixed header, protocol name "MQTT" (2 + 4), level. */
function connectFlagsOffset (bytes: Buffer): number {
  const h = headerLength(bytes)
  return h + 2 + bytes.readUInt16BE(h) + 1
}

function clearCleanStart (bytes: Buffer): Buffer {
  const at = connectFlagsOffset(bytes)
  bytes[at] = (bytes[at] as number) & ~0x02
  return bytes
}

/** The empty user name (2 zero bytes) sits just before the password; drop it and its flag. */
function removeEmptyUserName (bytes: Buffer, password: Buffer): Buffer {
  const h = headerLength(bytes)
  const remaining = bytes.length - h - 2
  const cut = bytes.length - (2 + password.length) - 2
  const out = Buffer.allocUnsafe(1 + vbiSize(remaining) + remaining)
  out[0] = bytes[0] as number
  const p = writeVariableByteInteger(out, 1, remaining)
  bytes.copy(out, p, h, cut)
  bytes.copy(out, p + cut - h, cut + 2)
  const flagsAt = connectFlagsOffset(out)
  out[flagsAt] = (out[flagsAt] as number) & ~0x80
  return out
}

function writePairs (bytes: Buffer, end: number, pairs: UserProperties): void {
  let size = 0
  for (const [name, value] of pairs) size += 5 + Buffer.byteLength(name) + Buffer.byteLength(value)
  let p = end - size
  for (const [name, value] of pairs) {
    bytes[p++] = 0x26
    p = bytes.writeUInt16BE(Buffer.byteLength(name), p)
    p += bytes.write(name, p, 'utf8')
    p = bytes.writeUInt16BE(Buffer.byteLength(value), p)
    p += bytes.write(value, p, 'utf8')
  }
}

/**
 * mqtt-packet wrote the User Properties last in their section (codec-encode puts them last), as
 * one run of the same total length in its own order; rewrite that run in ours. The sections are
 * located by walking the bytes just produced, which also checks them.
 */
function restoreUserPropertyOrder (bytes: Buffer, packet: Packet, version: ProtocolVersion): QosmosError | undefined {
  const s = new BodyScan()
  const code = (bytes[0] as number) >> 4
  const e = scanBody(bytes, headerLength(bytes), code, (bytes[0] as number) & 0x0f, version, s)
  if (e !== undefined) return new MalformedPacketError(`encoder produced an invalid ${packet.type.toUpperCase()}: ${e.message}`)
  const main = 'properties' in packet ? packet.properties?.userProperties : undefined
  if (main !== undefined && main.length > 0 && s.props.end > 0) writePairs(bytes, s.props.end, main)
  if (code === PacketCode.connect && packet.type === 'connect') {
    const will = packet.will?.properties?.userProperties
    if (will !== undefined && will.length > 0 && s.will.end > 0) writePairs(bytes, s.will.end, will)
  }
  return undefined
}
