/**
 * Hand-built packet bytes for tests that must send what no encoder would: bad flags, broken
 * strings, fields that contradict their flags. Everything here returns plain Buffers.
 */

/** A Variable Byte Integer (shortest form). */
export function vbi (n: number): Buffer {
  const out: number[] = []
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return Buffer.from(out)
}

/** A two-byte big-endian integer. */
export function u16 (n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}

/** A length-prefixed UTF-8 string, or raw bytes with their length prefix (for ill-formed UTF-8). */
export function str (s: string | Buffer | readonly number[]): Buffer {
  const body = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s)
  return Buffer.concat([u16(body.length), body])
}

/** A whole packet: first byte, Remaining Length, then the body. */
export function frame (firstByte: number, ...body: Array<Buffer | readonly number[]>): Buffer {
  const b = Buffer.concat(body.map(x => Buffer.from(x)))
  return Buffer.concat([Buffer.from([firstByte]), vbi(b.length), b])
}

export interface RawConnect {
  readonly level?: number
  readonly name?: string
  /** The connect flags byte; default: clean session only. */
  readonly flags?: number
  readonly keepAlive?: number
  /** v5 properties section (default: an empty one at level 5). */
  readonly properties?: Buffer
  /** The payload, already encoded (default: a client id). */
  readonly payload?: Buffer
}

let n = 0

/** A CONNECT built byte by byte, so that flags and payload may disagree. */
export function rawConnect (c: RawConnect = {}): Buffer {
  const level = c.level ?? 4
  const name = c.name ?? (level === 3 ? 'MQIsdp' : 'MQTT')
  const props = c.properties ?? (level === 5 ? Buffer.from([0]) : Buffer.alloc(0))
  const payload = c.payload ?? str(`rawc-${process.pid}-${++n}`)
  return frame(0x10, str(name), [level, c.flags ?? 0x02], u16(c.keepAlive ?? 0), props, payload)
}

/** An empty v5 properties section. */
export const NO_PROPS = Buffer.from([0])

/** The first bytes of the packets framed in `bytes` (fixed header + Remaining Length walk). */
export function firstBytes (bytes: Buffer): number[] {
  const out: number[] = []
  let i = 0
  while (i < bytes.length) {
    out.push(bytes[i] as number)
    let len = 0
    let mul = 1
    let j = i + 1
    for (;;) {
      const b = bytes[j++]
      if (b === undefined) return out
      len += (b & 0x7f) * mul
      mul *= 128
      if ((b & 0x80) === 0) break
    }
    i = j + len
  }
  return out
}

/** The sizes, in bytes, of the packets framed in `bytes` (a last incomplete one is left out). */
export function packetSizes (bytes: Buffer): number[] {
  const out: number[] = []
  let i = 0
  while (i < bytes.length) {
    let len = 0
    let mul = 1
    let j = i + 1
    for (;;) {
      const b = bytes[j++]
      if (b === undefined) return out
      len += (b & 0x7f) * mul
      mul *= 128
      if ((b & 0x80) === 0) break
    }
    if (j + len > bytes.length) return out
    out.push(j + len - i)
    i = j + len
  }
  return out
}
