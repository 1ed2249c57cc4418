/**
 * Walks the variable header and payload of one complete frame on the raw bytes, before
 * mqtt-packet decodes it: every string is checked as UTF-8 on its bytes, every length against the
 * Remaining Length, every v5 property section structurally, and packets with a fixed layout must
 * end exactly where their Remaining Length says. mqtt-packet skips most of these.
 */
import { MalformedPacketError, ProtocolViolationError, UnsupportedProtocolVersionError, type QosmosError } from '../core/errors.js'
import { PacketCode, type VbiResult } from './frame.js'
import { checkBinary, checkString, scanProperties, type PropertyScan } from './property-scan.js'
import type { ProtocolVersion } from './packets.js'
import type { PropertyContext } from './properties.js'

/** Reusable state of one body walk (no allocation on the hot path). */
export class BodyScan {
  readonly props: PropertyScan = { pairs: undefined, end: -1 }
  readonly will: PropertyScan = { pairs: undefined, end: -1 }
  readonly vbi: VbiResult = { value: 0, length: 0 }
  /** For a CONNECT: the protocol level it announces (bridge bit removed) and whether the bridge bit was set. */
  level: ProtocolVersion = 4
  bridge = false

  reset (): void {
    this.props.pairs = undefined
    this.props.end = -1
    this.will.pairs = undefined
    this.will.end = -1
  }
}

const ACK_CONTEXT: Readonly<Record<number, PropertyContext>> = { 4: 'puback', 5: 'pubrec', 6: 'pubrel', 7: 'pubcomp' }

function trailing (what: string): MalformedPacketError {
  return new MalformedPacketError(`${what}: bytes after the end of the packet`)
}

/**
 * Walks `frame[start, end)` as the body of a packet of type `code` at `version` (ignored for
 * CONNECT, which announces its own level into `s.level`).
 */
export function scanBody (frame: Buffer, start: number, code: number, flags: number, version: ProtocolVersion, s: BodyScan, end = frame.length): QosmosError | undefined {
  s.reset()
  const length = end - start
  switch (code) {
    case PacketCode.connect: return scanConnect(frame, start, end, s)
    case PacketCode.connack: {
      if (length < 2) return new MalformedPacketError('CONNACK truncated')
      // v5 [MQTT-3.2.2-1] (and v3.1.1 3.2.2.1): bits 7-1 of the acknowledge flags are reserved, 0.
      if (((frame[start] as number) & 0xfe) !== 0) return new MalformedPacketError('CONNACK reserved acknowledge flags set: v5 [MQTT-3.2.2-1]')
      if (version !== 5) return length === 2 ? undefined : trailing('CONNACK')
      return sectionThenEnd(frame, start + 2, end, 'connack', s, 'CONNACK')
    }
    case PacketCode.publish: {
      let p = checkString(frame, start, end, version, 'PUBLISH Topic Name')
      if (typeof p !== 'number') return p
      if ((flags & 0x06) !== 0) {
        if (p + 2 > end) return new MalformedPacketError('PUBLISH Packet Identifier truncated')
        p += 2
      }
      if (version === 5) return scanProperties(frame, p, end, 'publish', s.props, s.vbi)
      return undefined
    }
    case PacketCode.puback: case PacketCode.pubrec: case PacketCode.pubrel: case PacketCode.pubcomp: {
      const context = ACK_CONTEXT[code] as PropertyContext
      if (length < 2) return new MalformedPacketError(`${context.toUpperCase()} truncated`)
      if (version !== 5) return length === 2 ? undefined : trailing(context.toUpperCase())
      // v5 3.4.2.1: the Reason Code and Property Length may be omitted.
      if (length <= 3) return undefined
      return sectionThenEnd(frame, start + 3, end, context, s, context.toUpperCase())
    }
    case PacketCode.subscribe: return scanSubscribe(frame, start, end, version, s)
    case PacketCode.suback: case PacketCode.unsuback: {
      const name = code === PacketCode.suback ? 'SUBACK' : 'UNSUBACK'
      if (length < 2) return new MalformedPacketError(`${name} truncated`)
      if (code === PacketCode.unsuback && version !== 5) return length === 2 ? undefined : trailing(name)
      if (version !== 5) return undefined
      return scanProperties(frame, start + 2, end, code === PacketCode.suback ? 'suback' : 'unsuback', s.props, s.vbi)
    }
    case PacketCode.unsubscribe: {
      if (length < 2) return new MalformedPacketError('UNSUBSCRIBE truncated')
      let p = start + 2
      if (version === 5) {
        const e = scanProperties(frame, p, end, 'unsubscribe', s.props, s.vbi)
        if (e !== undefined) return e
        p = s.props.end
      }
      while (p < end) {
        // v3.1.1 [MQTT-3.10.3-1], v5 [MQTT-3.10.3-1]: the filters are UTF-8 strings.
        const next = checkString(frame, p, end, version, 'UNSUBSCRIBE Topic Filter')
        if (typeof next !== 'number') return next
        p = next
      }
      return undefined
    }
    case PacketCode.pingreq: case PacketCode.pingresp:
      return length === 0 ? undefined : trailing(code === PacketCode.pingreq ? 'PINGREQ' : 'PINGRESP')
    case PacketCode.disconnect: case PacketCode.auth: {
      const name = code === PacketCode.auth ? 'AUTH' : 'DISCONNECT'
      if (version !== 5) return length === 0 ? undefined : trailing(name)
      // v5 3.14.2.1 / 3.15.2.1: Reason Code and Property Length may be omitted.
      if (length <= 1) return undefined
      return sectionThenEnd(frame, start + 1, end, code === PacketCode.auth ? 'auth' : 'disconnect', s, name)
    }
    default:
      return new MalformedPacketError(`reserved control packet type ${code}`)
  }
}

function sectionThenEnd (frame: Buffer, pos: number, end: number, context: PropertyContext, s: BodyScan, name: string): QosmosError | undefined {
  const e = scanProperties(frame, pos, end, context, s.props, s.vbi)
  if (e !== undefined) return e
  return s.props.end === end ? undefined : trailing(name)
}

function scanSubscribe (frame: Buffer, start: number, end: number, version: ProtocolVersion, s: BodyScan): QosmosError | undefined {
  if (end - start < 2) return new MalformedPacketError('SUBSCRIBE truncated')
  let p = start + 2
  if (version === 5) {
    const e = scanProperties(frame, p, end, 'subscribe', s.props, s.vbi)
    if (e !== undefined) return e
    p = s.props.end
  }
  while (p < end) {
    // v3.1.1 [MQTT-3.8.3-1], v5 [MQTT-3.8.3-1]: the filters are UTF-8 strings.
    const next = checkString(frame, p, end, version, 'SUBSCRIBE Topic Filter')
    if (typeof next !== 'number') return next
    if (next >= end) return new MalformedPacketError('SUBSCRIBE options byte missing')
    const options = frame[next] as number
    // v3.1.1 [MQTT-3.8.3-4]: bits 7-2 reserved and QoS 3 are malformed. v5 [MQTT-3.8.3-5]: bits 7-6 reserved.
    if ((options & (version === 5 ? 0xc0 : 0xfc)) !== 0) {
      return new MalformedPacketError(`SUBSCRIBE options 0x${options.toString(16)} set reserved bits: ${version === 5 ? 'v5 [MQTT-3.8.3-5]' : 'v3.1.1 [MQTT-3.8.3-4]'}`)
    }
    if ((options & 0x03) === 3) return new MalformedPacketError(`SUBSCRIBE requested QoS 3: ${version === 5 ? 'v5 3.8.3.1' : 'v3.1.1 [MQTT-3.8.3-4]'}`)
    // v5 3.8.3.1: "It is a Protocol Error to send a Retain Handling value of 3".
    if (((options >> 4) & 0x03) === 3) return new ProtocolViolationError('SUBSCRIBE Retain Handling 3: v5 3.8.3.1')
    p = next + 1
  }
  return undefined
}

function scanConnect (frame: Buffer, start: number, end: number, s: BodyScan): QosmosError | undefined {
  if (start + 2 > end) return new MalformedPacketError('CONNECT truncated')
  const nameEnd = start + 2 + frame.readUInt16BE(start)
  if (nameEnd + 1 > end) return new MalformedPacketError('CONNECT truncated')
  const name = frame.toString('latin1', start + 2, nameEnd)
  const rawLevel = frame[nameEnd] as number
  const bridge = rawLevel === 0x83 || rawLevel === 0x84
  const level = bridge ? rawLevel & 0x7f : rawLevel
  // v3.1.1 [MQTT-3.1.2-1]/[MQTT-3.1.2-2], v5 [MQTT-3.1.2-1]/[MQTT-3.1.2-2]: name "MQTT" at levels 4 and 5, "MQIsdp" at 3.
  const known = (name === 'MQTT' && (level === 4 || level === 5)) || (name === 'MQIsdp' && level === 3)
  if (!known) return new UnsupportedProtocolVersionError(frame.toString('utf8', start + 2, nameEnd), rawLevel)
  const version = level as ProtocolVersion
  s.level = version
  s.bridge = bridge
  let p = nameEnd + 1
  if (p + 3 > end) return new MalformedPacketError('CONNECT truncated')
  const flags = frame[p] as number
  const v5 = version === 5
  // v3.1.1 [MQTT-3.1.2-3], v5 [MQTT-3.1.2-3]: the reserved flag is 0 (v5: else malformed).
  if ((flags & 0x01) !== 0) return new MalformedPacketError('CONNECT reserved flag set: v3.1.1 [MQTT-3.1.2-3], v5 [MQTT-3.1.2-3]')
  const will = (flags & 0x04) !== 0
  const willQos = (flags >> 3) & 0x03
  if (!will && willQos !== 0) return new MalformedPacketError(`Will QoS without Will Flag: ${v5 ? 'v5 [MQTT-3.1.2-11]' : 'v3.1.1 [MQTT-3.1.2-13]'}`)
  if (!will && (flags & 0x20) !== 0) return new MalformedPacketError(`Will Retain without Will Flag: ${v5 ? 'v5 [MQTT-3.1.2-13]' : 'v3.1.1 [MQTT-3.1.2-15]'}`)
  if (willQos === 3) return new MalformedPacketError(`Will QoS 3: ${v5 ? 'v5 [MQTT-3.1.2-12]' : 'v3.1.1 [MQTT-3.1.2-14]'}`)
  const hasUser = (flags & 0x80) !== 0
  const hasPassword = (flags & 0x40) !== 0
  // v3.1.1 [MQTT-3.1.2-22]: no password without a user name (v5 allows it).
  if (!v5 && hasPassword && !hasUser) return new MalformedPacketError('Password Flag without User Name Flag: v3.1.1 [MQTT-3.1.2-22]')
  p += 3
  if (v5) {
    const e = scanProperties(frame, p, end, 'connect', s.props, s.vbi)
    if (e !== undefined) return e
    p = s.props.end
  }
  // v3.1.1 [MQTT-3.1.3-4], v5 [MQTT-3.1.3-4]: the ClientId is a UTF-8 string.
  let next = checkString(frame, p, end, version, 'CONNECT Client Identifier')
  if (typeof next !== 'number') return next
  if (will) {
    if (v5) {
      const e = scanProperties(frame, next, end, 'will', s.will, s.vbi)
      if (e !== undefined) return e
      next = s.will.end
    }
    // v3.1.1 [MQTT-3.1.3-10], v5 [MQTT-3.1.3-11]: the Will Topic is a UTF-8 string.
    next = checkString(frame, next, end, version, 'CONNECT Will Topic')
    if (typeof next !== 'number') return next
    next = checkBinary(frame, next, end, 'CONNECT Will Payload')
    if (typeof next !== 'number') return next
  }
  if (hasUser) {
    // v3.1.1 [MQTT-3.1.3-11], v5 [MQTT-3.1.3-12]: the User Name is a UTF-8 string.
    next = checkString(frame, next, end, version, 'CONNECT User Name')
    if (typeof next !== 'number') return next
  }
  if (hasPassword) {
    next = checkBinary(frame, next, end, 'CONNECT Password')
    if (typeof next !== 'number') return next
  }
  // v3.1.1 [MQTT-3.1.4-1], v5 [MQTT-3.1.4-1]: a CONNECT not laid out as section 3.1 says.
  return next === end ? undefined : trailing('CONNECT')
}
