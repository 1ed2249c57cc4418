/**
 * Test helpers for the protocol spec tests: build wire bytes from annotated hex pieces (an
 * independent, minimal encoder of the length fields, so fixtures do not come from the code under
 * test), and drive the decoder.
 */
import type { ExecutionContext } from 'ava'
import { PacketDecoder, type DecodeResult } from '../../lib/protocol/decoder.js'
import type { Packet, ProtocolVersion } from '../../lib/protocol/packets.js'
import type { QosmosError } from '../../lib/core/errors.js'

/** Hex text (spaces allowed) -> bytes. */
export function hex (...parts: string[]): Buffer {
  const text = parts.join('').replace(/\s+/g, '')
  if (!/^([0-9a-f]{2})*$/i.test(text)) throw new Error(`bad hex: ${text}`)
  return Buffer.from(text, 'hex')
}

export const u8 = (n: number): string => n.toString(16).padStart(2, '0')
export const u16 = (n: number): string => n.toString(16).padStart(4, '0')
export const u32 = (n: number): string => n.toString(16).padStart(8, '0')

/** Variable Byte Integer, as in v5 1.5.5. */
export function vbi (n: number): string {
  let out = ''
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out += u8(b)
  } while (n > 0)
  return out
}

/** A length-prefixed UTF-8 string (or raw hex bytes with `rawHex`). */
export const str = (s: string): string => u16(Buffer.byteLength(s)) + Buffer.from(s).toString('hex')
export const bin = (b: Buffer | string): string => { const buf = Buffer.isBuffer(b) ? b : Buffer.from(b); return u16(buf.length) + buf.toString('hex') }
export const rawStr = (bytesHex: string): string => u16(bytesHex.replace(/\s+/g, '').length / 2) + bytesHex

/** A property section: Property Length then the properties. */
export function props (...parts: string[]): string {
  const body = parts.join('').replace(/\s+/g, '')
  return vbi(body.length / 2) + body
}
export const userProp = (name: string, value: string): string => '26' + str(name) + str(value)

/** A whole packet: first byte, Remaining Length computed from the body pieces. */
export function frame (first: number, ...body: string[]): Buffer {
  const b = body.join('').replace(/\s+/g, '')
  return hex(u8(first), vbi(b.length / 2), b)
}

export interface Fixture {
  readonly title: string
  readonly version: ProtocolVersion
  readonly bytes: Buffer
  readonly packet: Packet
}

/** A decoder as the fixture's receiver would have it: server side (no level) for a CONNECT. */
export function decoderFor (f: Fixture, maxPacketSize?: number): PacketDecoder {
  const base = f.packet.type === 'connect' ? {} : { protocolVersion: f.version }
  return new PacketDecoder(maxPacketSize === undefined ? base : { ...base, maxPacketSize })
}

/** Pushes the chunks one after another and merges the results. */
export function pushAll (decoder: PacketDecoder, chunks: readonly Buffer[]): DecodeResult {
  const packets: Packet[] = []
  let error: QosmosError | undefined
  for (const c of chunks) {
    const r = decoder.push(c)
    packets.push(...r.packets)
    if (r.error !== undefined) error = r.error
  }
  return error === undefined ? { packets } : { packets, error }
}

/** Decodes `bytes` with a fresh decoder; expects failure and returns the error. */
export function decodeError (bytes: Buffer, options: ConstructorParameters<typeof PacketDecoder>[0] = {}): QosmosError | undefined {
  return new PacketDecoder(options).push(bytes).error
}

/** Asserts the decoder refused `bytes` with `cls` and `reasonCode`. */
export function assertRefused (t: ExecutionContext, bytes: Buffer, options: ConstructorParameters<typeof PacketDecoder>[0], cls: abstract new (...args: never[]) => QosmosError, reasonCode: number): void {
  const r = new PacketDecoder(options).push(bytes)
  t.deepEqual(r.packets, [])
  t.true(r.error instanceof cls, `expected ${cls.name}, got ${r.error?.name ?? 'no error'}: ${r.error?.message ?? ''}`)
  t.is(r.error?.reasonCode, reasonCode)
}
