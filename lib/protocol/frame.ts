/**
 * Our own framing: the fixed header (packet type, flags) and the Remaining Length, a Variable
 * Byte Integer of at most 4 bytes. Checked byte by byte as it arrives, so that a bad or oversized
 * packet is refused before any of its body is buffered.
 */
import { MalformedPacketError, ProtocolViolationError, type QosmosError } from '../core/errors.js'
import type { PacketType, ProtocolVersion } from './packets.js'

export const PacketCode = {
  connect: 1, connack: 2, publish: 3, puback: 4, pubrec: 5, pubrel: 6, pubcomp: 7, subscribe: 8,
  suback: 9, unsubscribe: 10, unsuback: 11, pingreq: 12, pingresp: 13, disconnect: 14, auth: 15
} as const satisfies Record<PacketType, number>

export const PACKET_TYPE_BY_CODE: ReadonlyArray<PacketType | undefined> = [undefined,
  'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe',
  'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth']

/** Required fixed-header flags per packet type (v3.1.1 table 2.2, v5 table 2-2); -1: PUBLISH's own flags. */
const REQUIRED_FLAGS = [-1, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0] as const

/** Statement IDs for a flag violation of each packet type, besides the general rule. */
const FLAG_RULE: Readonly<Record<number, { v311?: string, v5?: string }>> = {
  6: { v311: 'MQTT-3.6.1-1', v5: 'MQTT-3.6.1-1' },
  8: { v311: 'MQTT-3.8.1-1', v5: 'MQTT-3.8.1-1' },
  10: { v311: 'MQTT-3.10.1-1', v5: 'MQTT-3.10.1-1' },
  14: { v311: 'MQTT-3.14.1-1', v5: 'MQTT-3.14.1-1' },
  15: { v5: 'MQTT-3.15.1-1' }
}

export const MAX_REMAINING_LENGTH = 268_435_455

/**
 * Checks the first byte of a packet. `version` is undefined before the CONNECT has been seen
 * (server side), where only a CONNECT may come.
 */
export function checkFirstByte (byte: number, version: ProtocolVersion | undefined): QosmosError | undefined {
  const code = byte >> 4
  const flags = byte & 0x0f
  // v3.1.1 2.2.1 and v5 2.1.2: type 0 is reserved; type 15 is reserved before v5 (AUTH is v5 only).
  if (code === 0 || (code === 15 && version !== undefined && version !== 5)) {
    return new MalformedPacketError(`reserved control packet type ${code}`)
  }
  // v3.1.1 [MQTT-3.1.0-1], v5 [MQTT-3.1.0-1]: the first packet from the client is CONNECT.
  if (version === undefined && code !== PacketCode.connect) {
    return new ProtocolViolationError(`first packet must be CONNECT, got ${PACKET_TYPE_BY_CODE[code] ?? code}: v3.1.1 [MQTT-3.1.0-1], v5 [MQTT-3.1.0-1]`)
  }
  const required = REQUIRED_FLAGS[code] ?? 0
  if (required === -1) {
    // v3.1.1 [MQTT-3.3.1-4], v5 [MQTT-3.3.1-4]: both QoS bits set is malformed.
    if ((flags & 0x06) === 0x06) return new MalformedPacketError('PUBLISH with QoS 3: v3.1.1 [MQTT-3.3.1-4], v5 [MQTT-3.3.1-4]')
    return undefined
  }
  if (flags !== required) {
    // v3.1.1 [MQTT-2.2.2-1]/[MQTT-2.2.2-2], v5 [MQTT-2.1.3-1]: reserved flag bits carry their listed values.
    const extra = FLAG_RULE[code]
    const ids = ['v3.1.1 [MQTT-2.2.2-1]/[MQTT-2.2.2-2]', 'v5 [MQTT-2.1.3-1]']
    if (extra?.v311 !== undefined) ids.push(`v3.1.1 [${extra.v311}]`)
    if (extra?.v5 !== undefined) ids.push(`v5 [${extra.v5}]`)
    return new MalformedPacketError(`invalid fixed-header flags 0x${flags.toString(16)} for ${PACKET_TYPE_BY_CODE[code] ?? code} (must be 0x${required.toString(16)}): ${ids.join(', ')}`)
  }
  return undefined
}

export const VBI_INCOMPLETE = -1
export const VBI_TOO_LONG = -2
export const VBI_NOT_MINIMAL = -3

/** A reusable out-parameter, so the hot path allocates nothing. */
export interface VbiResult { value: number, length: number }

/**
 * Reads a Variable Byte Integer (v3.1.1 2.2.3, v5 1.5.5) at `pos`, reading no further than `end`.
 * Returns 0 and fills `out`, or one of the negative VBI_* codes. A 5th byte is malformed; so is
 * a non-minimal encoding (v5 [MQTT-1.5.5-1]).
 */
export function readVariableByteInteger (buf: Uint8Array, pos: number, end: number, out: VbiResult): number {
  let value = 0
  let multiplier = 1
  for (let i = 0; i < 4; i++) {
    if (pos + i >= end) return VBI_INCOMPLETE
    const byte = buf[pos + i] as number
    value += (byte & 0x7f) * multiplier
    if ((byte & 0x80) === 0) {
      if (i > 0 && byte === 0) return VBI_NOT_MINIMAL
      out.value = value
      out.length = i + 1
      return 0
    }
    multiplier *= 128
  }
  return VBI_TOO_LONG
}

export function vbiError (code: number, what: string): MalformedPacketError {
  return code === VBI_NOT_MINIMAL
    ? new MalformedPacketError(`${what}: Variable Byte Integer not in its shortest form, v5 [MQTT-1.5.5-1]`)
    : new MalformedPacketError(`${what}: Variable Byte Integer longer than 4 bytes`)
}

/** Bytes a Variable Byte Integer takes for `n`. */
export function vbiSize (n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4
}

/** Writes `n` as a Variable Byte Integer (v5 1.5.5) at `pos`; returns the position after it. */
export function writeVariableByteInteger (out: Buffer, pos: number, n: number): number {
  let p = pos
  let rest = n
  do {
    let byte = rest % 128
    rest = Math.floor(rest / 128)
    if (rest > 0) byte |= 0x80
    out[p++] = byte
  } while (rest > 0)
  return p
}
