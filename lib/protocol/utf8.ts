/**
 * UTF-8 string rules, v3.1.1 1.5.3 and v5 1.5.4. Checked on the raw bytes when decoding (Node's
 * decoder silently turns ill-formed bytes into U+FFFD, so the decoded string cannot tell) and on
 * the JavaScript string when encoding (Buffer.from turns a lone surrogate into U+FFFD).
 * U+FEFF is an ordinary character here: it is kept, never stripped (v3.1.1 [MQTT-1.5.3-3],
 * v5 [MQTT-1.5.4-3]); Buffer#toString keeps it.
 */
import { isUtf8 } from 'node:buffer'
import type { ProtocolVersion } from './packets.js'

export type StringProblem = 'ill-formed' | 'null-character' | 'too-long'

/** Largest encoded string or binary field: a Two Byte Integer length prefix. */
export const MAX_STRING_BYTES = 65535

const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/** Up to this many bytes, a string of ASCII bytes is checked in place (most topic names). */
const ASCII_SCAN_LIMIT = 256

/** What is wrong with the UTF-8 bytes `buf[start, end)`, if anything. */
export function rawStringProblem (buf: Buffer, start: number, end: number): StringProblem | undefined {
  if (start === end) return undefined
  if (end - start <= ASCII_SCAN_LIMIT) {
    // Bytes below 0x80 are well-formed UTF-8 on their own: such a string needs no view of the
    // buffer and no native call, only a look for 0x00. Any other byte takes the full check.
    let zero = false
    let i = start
    for (; i < end; i++) {
      const byte = buf[i] as number
      if (byte >= 0x80) break
      if (byte === 0) zero = true
    }
    if (i === end) return zero ? 'null-character' : undefined
  }
  const bytes = buf.subarray(start, end)
  // v3.1.1 [MQTT-1.5.3-1], v5 [MQTT-1.5.4-1]: ill-formed UTF-8, including encoded surrogates and overlong forms.
  if (!isUtf8(bytes)) return 'ill-formed'
  // v3.1.1 [MQTT-1.5.3-2], v5 [MQTT-1.5.4-2]: in well-formed UTF-8 only U+0000 encodes as a 0x00 byte.
  if (bytes.indexOf(0) !== -1) return 'null-character'
  return undefined
}

/** What is wrong with a string we are about to encode, if anything. */
export function stringProblem (s: string): StringProblem | undefined {
  // v3.1.1 [MQTT-1.5.3-1], v5 [MQTT-1.5.4-1]: no surrogate code points (a lone surrogate cannot be encoded).
  if (LONE_SURROGATE.test(s)) return 'ill-formed'
  // v3.1.1 [MQTT-1.5.3-2], v5 [MQTT-1.5.4-2]
  if (s.includes('\u0000')) return 'null-character'
  if (s.length > MAX_STRING_BYTES / 3 && Buffer.byteLength(s) > MAX_STRING_BYTES) return 'too-long'
  return undefined
}

/** The spec statement a string problem breaks, with its version, for error messages. */
export function utf8Rule (problem: StringProblem, version: ProtocolVersion): string {
  if (problem === 'too-long') return 'longer than 65535 bytes'
  const v5 = version === 5
  if (problem === 'ill-formed') return v5 ? 'ill-formed UTF-8, v5 [MQTT-1.5.4-1]' : 'ill-formed UTF-8, v3.1.1 [MQTT-1.5.3-1]'
  return v5 ? 'contains U+0000, v5 [MQTT-1.5.4-2]' : 'contains U+0000, v3.1.1 [MQTT-1.5.3-2]'
}
