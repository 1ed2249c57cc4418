/**
 * Streaming decoder: bytes in, `Packet`s out. Frames packets itself (fixed header and Remaining
 * Length, checked byte by byte, so a bad or oversized packet is refused before its body is
 * buffered), walks each complete frame on the raw bytes (scan.ts), has mqtt-packet decode it,
 * converts it (codec-decode.ts) and validates it (validate.ts).
 *
 * `push` never throws. The first failure kills the decoder: it is returned with the packets
 * decoded before it, and again on every later push.
 *
 * Zero-copy: a packet that arrives inside one chunk is decoded from a view of that chunk (a
 * PUBLISH payload is such a view), so chunks must not be modified after they are pushed. A packet
 * spread over several chunks is copied once into a buffer of its exact size.
 */
import { parser as mqttParser } from 'mqtt-packet'
import type * as Mqtt from 'mqtt-packet'
import { InvalidArgumentError, MalformedPacketError, PacketTooLargeError, QosmosError } from '../core/errors.js'
import type { OrderedUserProperties } from './codec-decode.js'
import { decodeAck, decodePublish } from './fast-codec.js'
import { fromMqttPacket } from './codec-decode.js'
import { checkFirstByte, MAX_REMAINING_LENGTH, PacketCode, readVariableByteInteger, VBI_INCOMPLETE, vbiError, type VbiResult } from './frame.js'
import type { Packet, ProtocolVersion, UserProperties } from './packets.js'
import { BodyScan, scanBody } from './scan.js'
import { validatePacket } from './validate.js'

export interface DecoderOptions {
  /** Known protocol level (client side). Undefined on the server: the first packet must be a CONNECT, whose level is then used. */
  readonly protocolVersion?: ProtocolVersion
  /** Largest packet accepted, in bytes including the fixed header (v5 Maximum Packet Size). */
  readonly maxPacketSize?: number
}

export interface DecodeResult {
  packets: Packet[]
  error?: QosmosError
}

/** mqtt-packet's parser as it really is: it keeps (and on CONNECT replaces) its settings. */
interface MqttParser extends Mqtt.Parser { settings: object }

const SETTINGS: Readonly<Record<ProtocolVersion, object>> = { 3: { protocolVersion: 3 }, 4: { protocolVersion: 4 }, 5: { protocolVersion: 5 } }

/**
 * One mqtt-packet parser for every decoder. It is only ever handed one complete, pre-checked
 * frame and answers synchronously, so nothing of one connection stays in it for the next; a
 * parser (with its buffer list and stream states) per connection cost about 1.5 KiB of every
 * idle connection (BENCHMARKS.md). After an error, or a frame it did not consume exactly, it is
 * replaced, so a confused parser never meets another frame.
 */
class SharedParser {
  static #current: SharedParser | undefined
  static get (): SharedParser { return SharedParser.#current ??= new SharedParser() }

  readonly #parser = mqttParser({ protocolVersion: 4 }) as MqttParser
  #parsed: Mqtt.Packet | undefined
  #error: unknown

  private constructor () {
    this.#parser.on('packet', (packet: Mqtt.Packet) => { this.#parsed = packet })
    this.#parser.on('error', (err: unknown) => { this.#error = err })
  }

  parse (frame: Buffer, version: ProtocolVersion): Mqtt.Packet | QosmosError {
    const parser = this.#parser
    // mqtt-packet adopts a CONNECT as its settings; we keep the level ourselves.
    parser.settings = SETTINGS[version]
    this.#parsed = undefined
    this.#error = undefined
    let left: number
    try {
      left = parser.parse(frame)
    } catch (err) {
      this.#error ??= err
      left = -1
    }
    const raw = this.#parsed
    const err = this.#error
    this.#parsed = undefined
    this.#error = undefined
    if (err !== undefined || left !== 0 || raw === undefined) SharedParser.#current = undefined
    if (err !== undefined) {
      return new MalformedPacketError(`malformed packet: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    return raw ?? new MalformedPacketError('malformed packet: mqtt-packet decoded nothing from a complete frame')
  }
}
const MAX_FRAME = 1 + 4 + MAX_REMAINING_LENGTH

/**
 * Scratch state of one frame's walk, shared by every decoder: a frame is framed, walked and
 * converted synchronously within one `push`, so nothing in them outlives it, and an idle
 * connection's decoder holds none of it (bench/micro/idle-heap.ts: about 280 bytes each).
 */
const vbiScratch: VbiResult = { value: 0, length: 0 }
const scanScratch = new BodyScan()
const orderedScratch: { main: UserProperties | undefined, will: UserProperties | undefined } = { main: undefined, will: undefined }

/** The bytes of an incomplete packet, kept only while there is one. */
interface PartialFrame {
  readonly chunks: Buffer[]
  /** Bytes in `chunks`. */
  length: number
  /** The frame's total size once its fixed header is complete, else 0. */
  readonly need: number
  readonly headerLength: number
}

export class PacketDecoder {
  #version: ProtocolVersion | undefined
  readonly #maxPacketSize: number
  #error: QosmosError | undefined
  #partial: PartialFrame | undefined

  constructor (options: DecoderOptions = {}) {
    const max = options.maxPacketSize ?? MAX_FRAME
    if (!Number.isInteger(max) || max < 2) throw new InvalidArgumentError(`maxPacketSize must be an integer >= 2, got ${max}`)
    this.#maxPacketSize = max
    this.#version = options.protocolVersion
  }

  /** The protocol level packets are decoded at; undefined until the CONNECT on the server side. */
  get protocolVersion (): ProtocolVersion | undefined { return this.#version }

  /** Sets the protocol level (the client, once it knows what it connected with). */
  setProtocolVersion (version: ProtocolVersion): void { this.#version = version }

  /** The error that killed this decoder, if any. */
  get error (): QosmosError | undefined { return this.#error }

  push (chunk: Buffer): DecodeResult {
    const packets = this.decode(chunk)
    return this.#error === undefined ? { packets } : { packets, error: this.#error }
  }

  /**
   * `push` without the result object: the packets complete in this chunk, in order. When the
   * chunk (or an earlier one) was malformed, `error` is set and the packets are those before it.
   */
  decode (chunk: Buffer): Packet[] {
    const packets: Packet[] = []
    if (this.#error !== undefined) return packets
    try {
      this.#push(chunk, packets)
    } catch (err) {
      this.#error ??= new MalformedPacketError(`undecodable packet: ${String(err)}`, { cause: err })
    }
    return packets
  }


  #fail (error: QosmosError): void {
    this.#error = error
    this.#partial = undefined
  }

  #push (chunk: Buffer, packets: Packet[]): void {
    let data = chunk
    let pos = 0
    const partial = this.#partial
    if (partial !== undefined) {
      if (partial.need === 0) {
        // The last chunk ended inside a fixed header (at most 4 bytes kept): join and start over.
        data = Buffer.concat([...partial.chunks, chunk])
        this.#partial = undefined
      } else {
        const missing = partial.need - partial.length
        if (chunk.length < missing) {
          partial.chunks.push(chunk)
          partial.length += chunk.length
          return
        }
        partial.chunks.push(chunk.subarray(0, missing))
        const frame = Buffer.concat(partial.chunks, partial.need)
        this.#partial = undefined
        if (!this.#decodeFrame(frame, 0, partial.headerLength, frame.length, packets)) return
        pos = missing
      }
    }
    const end = data.length
    while (pos < end) {
      const firstByteError = checkFirstByte(data[pos] as number, this.#version)
      if (firstByteError !== undefined) return this.#fail(firstByteError)
      const vbi = vbiScratch
      const r = readVariableByteInteger(data, pos + 1, end, vbi)
      if (r === VBI_INCOMPLETE) {
        this.#partial = { chunks: [Buffer.from(data.subarray(pos))], length: end - pos, need: 0, headerLength: 0 }
        return
      }
      if (r !== 0) return this.#fail(vbiError(r, 'Remaining Length'))
      const headerLength = 1 + vbi.length
      const total = headerLength + vbi.value
      // v5 3.1.2.11.4 / 3.2.2.3.6: refused as soon as its size is known, before buffering its body.
      if (total > this.#maxPacketSize) return this.#fail(new PacketTooLargeError(total, this.#maxPacketSize))
      if (end - pos < total) {
        this.#partial = { chunks: [data.subarray(pos)], length: end - pos, need: total, headerLength }
        return
      }
      // Decoded in place: no view of the read per packet.
      if (!this.#decodeFrame(data, pos, headerLength, pos + total, packets)) return
      pos += total
    }
  }

  /** Decodes the complete packet `data[at, end)`; false (and dead) on failure. */
  #decodeFrame (data: Buffer, at: number, headerLength: number, end: number, packets: Packet[]): boolean {
    const first = data[at] as number
    const code = first >> 4
    const s = scanScratch
    const scanError = scanBody(data, at + headerLength, code, first & 0x0f, this.#version ?? 4, s, end)
    if (scanError !== undefined) { this.#fail(scanError); return false }
    const version = code === PacketCode.connect ? s.level : this.#version as ProtocolVersion
    // The message flow's packets without properties are read by hand (fast-codec.ts).
    let packet: Packet | undefined = code === PacketCode.publish
      ? decodePublish(data, headerLength, version, at, end)
      : code >= PacketCode.puback && code <= PacketCode.pubcomp ? decodeAck(data, headerLength, code, version, at, end) : undefined
    if (packet === undefined && code === PacketCode.auth && end - at === headerLength) {
      // v5 3.15.2.1: an AUTH with Remaining Length 0 means Success, no properties (mqtt-packet rejects it).
      packet = { type: 'auth', reasonCode: 0 }
    } else if (packet === undefined) {
      const raw = this.#parse(at === 0 && end === data.length ? data : data.subarray(at, end), version)
      if (raw instanceof QosmosError) { this.#fail(raw); return false }
      const ordered = orderedScratch
      ordered.main = s.props.pairs
      ordered.will = s.will.pairs
      packet = fromMqttPacket(raw, version, ordered as OrderedUserProperties)
    }
    const invalid = validatePacket(packet, version, 'decode')
    if (invalid !== undefined) { this.#fail(invalid); return false }
    if (code === PacketCode.connect && this.#version === undefined) this.#version = version
    packets.push(packet)
    return true
  }

  #parse (frame: Buffer, version: ProtocolVersion): Mqtt.Packet | QosmosError {
    return SharedParser.get().parse(frame, version)
  }
}
