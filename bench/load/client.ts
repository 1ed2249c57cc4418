/**
 * A lean raw-socket MQTT client for load generation, the same for every broker. It answers the
 * broker's QoS 1/2 deliveries itself (PUBACK, PUBREC/PUBCOMP) and finishes its own outgoing
 * QoS 2 flows (PUBREL); the scenario sees only `onPublish` and `onComplete`.
 */
import { connect as netConnect, type Socket } from 'node:net'
import { generate, parser as createParser, type Packet, type Parser } from 'mqtt-packet'
import type { BenchQoS, MqttLevel } from '../lib/types.js'
import {
  ackPacket, CONNACK, DISCONNECT, FrameSplitter, PINGREQ, PINGRESP, PUBACK, PUBCOMP, PUBLISH,
  publishPayloadStart, PUBREC, PUBREL, SUBACK
} from './codec.js'

export interface ClientOptions {
  readonly host: string
  readonly port: number
  readonly clientId: string
  readonly level: MqttLevel
  readonly keepAliveSeconds: number
  readonly timeoutMs: number
  /** Keep the session after the connection: v3.1.1 Clean Session 0, v5 Session Expiry Interval 1 h. */
  readonly persistentSession?: boolean
}

/** A v5 CONNACK or SUBACK decoded by mqtt-packet (rare packets, not on the hot path). */
function decodeRare (level: MqttLevel, frame: Buffer): Packet {
  let decoded: Packet | undefined
  let failure: unknown
  const parser: Parser = createParser({ protocolVersion: level })
  parser.on('packet', (packet: Packet) => { decoded = packet })
  parser.on('error', (err: unknown) => { failure = err })
  parser.parse(frame)
  if (decoded === undefined) throw new Error(`could not decode a packet from the broker: ${String(failure)}`)
  return decoded
}

export class LoadClient {
  /** A delivery: the payload lies in buf[payloadStart, end). */
  onPublish: ((buf: Buffer, payloadStart: number, end: number) => void) | undefined
  /** An outgoing QoS 1/2 flow ended (PUBACK or PUBCOMP, or a v5 refusal with reasonCode >= 0x80). */
  onComplete: ((packetId: number, reasonCode: number) => void) | undefined
  onClose: ((error: Error | undefined) => void) | undefined
  /** The broker's Receive Maximum (v5 CONNACK), 65535 when it sets none. */
  receiveMaximum = 65535
  closed = false
  disconnectReason: number | undefined

  readonly #socket: Socket
  readonly #options: ClientOptions
  readonly #splitter: FrameSplitter
  #corked = false
  #connack: { resolve: () => void, reject: (err: Error) => void } | undefined
  readonly #subacks = new Map<number, (codes: number[]) => void>()
  #nextSubscribeId = 1
  #pinger: NodeJS.Timeout | undefined
  #error: Error | undefined

  private constructor (options: ClientOptions) {
    this.#options = options
    this.#splitter = new FrameSplitter(this.#onFrame)
    this.#socket = netConnect({ host: options.host, port: options.port })
    this.#socket.setNoDelay(true)
    this.#socket.on('data', (chunk: Buffer) => {
      this.#cork()
      try {
        this.#splitter.push(chunk)
      } catch (err) {
        this.#socket.destroy(err instanceof Error ? err : new Error(String(err)))
      }
    })
    this.#socket.on('error', (err: Error) => { this.#error = err })
    this.#socket.on('close', () => this.#closed())
  }

  /** Connects (clean session, or a kept one with `persistentSession`) and resolves after a successful CONNACK. */
  static async connect (options: ClientOptions): Promise<LoadClient> {
    const client = new LoadClient(options)
    await client.#handshake()
    return client
  }

  #handshake (): Promise<void> {
    const { level, clientId, keepAliveSeconds, timeoutMs } = this.#options
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.destroy()
        reject(new Error(`no CONNACK within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#connack = {
        resolve: () => { clearTimeout(timer); resolve() },
        reject: (err) => { clearTimeout(timer); reject(err) }
      }
      const persistent = this.#options.persistentSession === true
      this.#socket.write(generate({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: level, clientId, keepalive: keepAliveSeconds,
        // v3.1.1: Clean Session 0 keeps the session; v5: Clean Start 1 with an expiry keeps it after this connection.
        clean: level === 5 || !persistent,
        ...(level === 5 && persistent ? { properties: { sessionExpiryInterval: 3600 } } : {})
      }))
    })
  }

  /** Subscribes to the filters at one QoS; resolves with the granted QoS (or failure codes). */
  subscribe (filters: readonly string[], qos: BenchQoS): Promise<number[]> {
    const messageId = this.#nextSubscribeId++
    const timeoutMs = this.#options.timeoutMs
    return new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#subacks.delete(messageId)
        reject(new Error(`no SUBACK within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#subacks.set(messageId, (codes) => { clearTimeout(timer); resolve(codes) })
      this.send(generate({ cmd: 'subscribe', messageId, subscriptions: filters.map((topic) => ({ topic, qos })) }, { protocolVersion: this.#options.level }))
    })
  }

  /** Writes bytes, coalescing everything written in one tick into one syscall. */
  send (bytes: Buffer): void {
    if (this.closed) return
    this.#cork()
    this.#socket.write(bytes)
  }

  /** Sends DISCONNECT and closes, waiting at most `timeoutMs` for the socket to close. */
  async disconnect (timeoutMs = 2000): Promise<void> {
    if (this.closed) return
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.destroy(); resolve() }, timeoutMs)
      this.#socket.once('close', () => { clearTimeout(timer); resolve() })
    })
    this.#socket.end(generate({ cmd: 'disconnect' }, { protocolVersion: this.#options.level }))
    await closed
  }

  destroy (): void {
    this.#socket.destroy()
  }

  #cork (): void {
    if (this.#corked) return
    this.#corked = true
    this.#socket.cork()
    process.nextTick(this.#uncork)
  }

  readonly #uncork = (): void => {
    this.#corked = false
    this.#socket.uncork()
  }

  readonly #onFrame = (first: number, buf: Buffer, frameStart: number, start: number, end: number): void => {
    const type = first >> 4
    switch (type) {
      case PUBLISH: {
        const qos = (first >> 1) & 3
        const payloadStart = publishPayloadStart(buf, start, qos, this.#options.level)
        this.onPublish?.(buf, payloadStart, end)
        if (qos > 0) this.send(ackPacket(qos === 1 ? PUBACK : PUBREC, buf.readUInt16BE(start + 2 + buf.readUInt16BE(start))))
        return
      }
      case PUBACK:
      case PUBCOMP:
        this.onComplete?.(buf.readUInt16BE(start), end - start > 2 ? buf[start + 2] as number : 0)
        return
      case PUBREC: {
        const packetId = buf.readUInt16BE(start)
        const reasonCode = end - start > 2 ? buf[start + 2] as number : 0
        if (reasonCode >= 0x80) this.onComplete?.(packetId, reasonCode)
        else this.send(ackPacket(PUBREL, packetId))
        return
      }
      case PUBREL:
        this.send(ackPacket(PUBCOMP, buf.readUInt16BE(start)))
        return
      case CONNACK: {
        const returnCode = buf[start + 1] as number
        if (returnCode !== 0) {
          this.#connack?.reject(new Error(`CONNACK refused with code 0x${returnCode.toString(16)}`))
          this.destroy()
          return
        }
        if (this.#options.level === 5) this.#readConnackProperties(buf.subarray(frameStart, end))
        this.#startPinger()
        this.#connack?.resolve()
        this.#connack = undefined
        return
      }
      case SUBACK: {
        const packet = decodeRare(this.#options.level, buf.subarray(frameStart, end))
        if (packet.cmd !== 'suback' || packet.messageId === undefined) return
        this.#subacks.get(packet.messageId)?.(packet.granted.map((code) => typeof code === 'number' ? code : 0x80))
        this.#subacks.delete(packet.messageId)
        return
      }
      case DISCONNECT:
        this.disconnectReason = end > start ? buf[start] as number : 0
        return
      case PINGRESP:
        return
      default:
        throw new Error(`unexpected packet type ${type} from broker`)
    }
  }

  #readConnackProperties (frame: Buffer): void {
    const packet = decodeRare(5, frame)
    if (packet.cmd !== 'connack') return
    const receiveMaximum = packet.properties?.receiveMaximum
    if (receiveMaximum !== undefined) this.receiveMaximum = receiveMaximum
    const serverKeepAlive = packet.properties?.serverKeepAlive
    if (serverKeepAlive !== undefined) this.#keepAlive = serverKeepAlive
  }

  #keepAlive: number | undefined

  #startPinger (): void {
    const seconds = this.#keepAlive ?? this.#options.keepAliveSeconds
    if (seconds <= 0) return
    this.#pinger = setInterval(() => this.send(PINGREQ), seconds * 500)
    this.#pinger.unref()
  }

  #closed (): void {
    this.closed = true
    if (this.#pinger !== undefined) clearInterval(this.#pinger)
    const error = this.#error ?? new Error(this.disconnectReason === undefined ? 'connection closed' : `broker sent DISCONNECT 0x${this.disconnectReason.toString(16)}`)
    this.#connack?.reject(error)
    this.#connack = undefined
    this.onClose?.(this.#error)
  }
}
