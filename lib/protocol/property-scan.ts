/**
 * Walks a v5 property section on the raw bytes. mqtt-packet decodes property values but does not
 * bound them by the Property Length, accepts any identifier on any packet, folds repeats into
 * arrays, and groups User Properties by name (losing their order). This walk enforces the
 * structure and returns the User Properties in wire order (v5 [MQTT-3.3.2-18]).
 */
import { MalformedPacketError, ProtocolViolationError, type QosmosError } from '../core/errors.js'
import { readVariableByteInteger, vbiError, VBI_INCOMPLETE, type VbiResult } from './frame.js'
import { contextBit, mayRepeat, PROPERTY_BY_ID, type PropertyContext } from './properties.js'
import { rawStringProblem, utf8Rule } from './utf8.js'
import type { ProtocolVersion } from './packets.js'

/** Out-parameter of one property section walk. */
export interface PropertyScan {
  /** User Properties in wire order, or undefined when there are none. */
  pairs: Array<readonly [string, string]> | undefined
  /** Offset just past the section. */
  end: number
}

export const STRING_TRUNCATED = -1

/**
 * Checks the length-prefixed UTF-8 string at `pos` (v3.1.1 1.5.3, v5 1.5.4) and returns the
 * offset after it, or an error naming `what`.
 */
export function checkString (buf: Buffer, pos: number, end: number, version: ProtocolVersion, what: string): number | QosmosError {
  if (pos + 2 > end) return new MalformedPacketError(`${what}: truncated`)
  const stop = pos + 2 + buf.readUInt16BE(pos)
  if (stop > end) return new MalformedPacketError(`${what}: truncated`)
  const problem = rawStringProblem(buf, pos + 2, stop)
  if (problem !== undefined) return new MalformedPacketError(`${what}: ${utf8Rule(problem, version)}`)
  return stop
}

/** Checks a length-prefixed Binary Data field at `pos`; returns the offset after it. */
export function checkBinary (buf: Buffer, pos: number, end: number, what: string): number | QosmosError {
  if (pos + 2 > end) return new MalformedPacketError(`${what}: truncated`)
  const stop = pos + 2 + buf.readUInt16BE(pos)
  return stop > end ? new MalformedPacketError(`${what}: truncated`) : stop
}

const FIXED_SIZE: Readonly<Record<string, number>> = { byte: 1, int16: 2, int32: 4 }

/**
 * Walks the property section starting at `pos` (its Property Length) and ending no later than
 * `end`. Fills `out`; returns an error for a malformed or forbidden section.
 */
export function scanProperties (buf: Buffer, pos: number, end: number, context: PropertyContext, out: PropertyScan, vbi: VbiResult): QosmosError | undefined {
  out.pairs = undefined
  const r = readVariableByteInteger(buf, pos, end, vbi)
  if (r !== 0) return r === VBI_INCOMPLETE ? new MalformedPacketError(`${context} Property Length missing or truncated`) : vbiError(r, `${context} Property Length`)
  let p = pos + vbi.length
  const sectionEnd = p + vbi.value
  if (sectionEnd > end) return new MalformedPacketError(`${context} Property Length runs past the end of the packet`)
  const allowed = contextBit(context)
  let seenLow = 0
  let seenHigh = 0
  while (p < sectionEnd) {
    const id = buf[p++] as number
    const def = PROPERTY_BY_ID[id]
    // v5 2.2.2.2: an identifier not valid for the packet type makes the packet malformed.
    if (def === undefined) return new MalformedPacketError(`unknown property identifier 0x${id.toString(16)} in ${context}`)
    if ((def.contexts & allowed) === 0) return new MalformedPacketError(`property ${def.name} (0x${id.toString(16)}) is not allowed in ${context}: v5 2.2.2.2`)
    if (!mayRepeat(id, context)) {
      const bit = 1 << (id & 31)
      const seen = id < 32 ? seenLow : seenHigh
      // v5 3.x "It is a Protocol Error to include <property> more than once".
      if ((seen & bit) !== 0) return new ProtocolViolationError(`property ${def.name} included more than once in ${context}`)
      if (id < 32) seenLow |= bit; else seenHigh |= bit
    }
    const fixed = FIXED_SIZE[def.type]
    if (fixed !== undefined) {
      if (p + fixed > sectionEnd) return new MalformedPacketError(`property ${def.name} truncated`)
      // v5 3.1.2.11.x, 3.2.2.3.x: a value other than 0 or 1 is a Protocol Error.
      if (def.zeroOrOne && (buf[p] as number) > 1) return new ProtocolViolationError(`property ${def.name} must be 0 or 1, got ${buf[p] as number}`)
      p += fixed
      continue
    }
    let next: number | QosmosError
    switch (def.type) {
      case 'varint': {
        const v = readVariableByteInteger(buf, p, sectionEnd, vbi)
        if (v !== 0) return v === VBI_INCOMPLETE ? new MalformedPacketError(`property ${def.name} truncated`) : vbiError(v, def.name)
        next = p + vbi.length
        break
      }
      case 'string':
        next = checkString(buf, p, sectionEnd, 5, `property ${def.name}`)
        break
      case 'binary':
        next = checkBinary(buf, p, sectionEnd, `property ${def.name}`)
        break
      default: {
        // 'pair': v5 [MQTT-1.5.7-1] both strings obey the UTF-8 string rules.
        const nameEnd = checkString(buf, p, sectionEnd, 5, 'User Property name')
        if (typeof nameEnd !== 'number') return nameEnd
        next = checkString(buf, nameEnd, sectionEnd, 5, 'User Property value')
        if (typeof next !== 'number') return next
        const pair = [buf.toString('utf8', p + 2, nameEnd), buf.toString('utf8', nameEnd + 2, next)] as const
        if (out.pairs === undefined) out.pairs = [pair]; else out.pairs.push(pair)
      }
    }
    if (typeof next !== 'number') return next
    p = next
  }
  out.end = sectionEnd
  return undefined
}
