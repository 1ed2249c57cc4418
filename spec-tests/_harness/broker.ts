/**
 * Drives a real qosmos broker over loopback TCP with hand-made packets, so a test sees exactly
 * what goes on the wire: which packets the broker sends, in which order, with which flags, and
 * when it closes the connection.
 *
 *   const b = await startBroker()
 *   const c = await b.client(5)
 *   c.send({ type: 'connect', ... })
 *   const connack = await c.expect('connack')
 *   ...
 *   await b.close()   // closes every client opened through it, then the broker
 */
import { connect, type Socket } from 'node:net'
import { createBroker } from '../../lib/broker/index.js'
import type { Broker } from '../../lib/broker/index.js'
import type { BrokerOptions } from '../../lib/broker/options.js'
import { encode, PacketDecoder } from '../../lib/protocol/index.js'
import type { ConnectPacket, Packet, ProtocolVersion } from '../../lib/protocol/packets.js'

const WAIT_MS = 2000

type PacketOf<T extends Packet['type']> = Extract<Packet, { type: T }>

export interface RawClient {
  readonly version: ProtocolVersion
  /** Encodes and writes one packet. */
  send: (packet: Packet) => void
  /** Writes raw bytes (for malformed input). */
  write: (bytes: Buffer | readonly number[]) => void
  /** The next packet the broker sent, whatever its type; rejects after `ms` or when the socket closes first. */
  next: (ms?: number) => Promise<Packet>
  /** The next packet, which must be of `type` (anything else rejects, naming what came). */
  expect: <T extends Packet['type']>(type: T, ms?: number) => Promise<PacketOf<T>>
  /** Waits `ms`, then resolves true when no packet is waiting to be taken (packets stay queued either way). */
  quiet: (ms?: number) => Promise<boolean>
  /** Resolves when the broker has closed the connection (packets it sent first stay queued). */
  closed: (ms?: number) => Promise<void>
  /** True once the broker closed the socket. */
  readonly isClosed: boolean
  /** Packets received and not yet taken. */
  readonly queued: readonly Packet[]
  /** Every byte the broker sent on this connection so far, as received (for checks on the encoding itself). */
  readonly received: Buffer
  /** Destroys the socket from this side (an abnormal loss, as far as the broker knows). */
  destroy: () => void
  /** Sends DISCONNECT (reason 0 in v5) and ends the socket. */
  disconnect: () => Promise<void>
  /** CONNECT with defaults for this version, then the CONNACK. */
  connect: (fields?: Partial<ConnectPacket>) => Promise<PacketOf<'connack'>>
}

export interface TestBroker {
  readonly broker: Broker
  readonly port: number
  /** A raw client connected over TCP (not yet sent CONNECT). */
  client: (version?: ProtocolVersion) => Promise<RawClient>
  /** A raw client that has connected with `fields` and received a successful CONNACK. */
  connected: (version: ProtocolVersion, fields?: Partial<ConnectPacket>) => Promise<RawClient>
  close: () => Promise<void>
}

let nextId = 0

export async function startBroker (options: BrokerOptions = {}): Promise<TestBroker> {
  const broker = createBroker(options)
  const { port } = await broker.listen({ port: 0, host: '127.0.0.1' })
  const clients: RawClient[] = []
  const client = async (version: ProtocolVersion = 5): Promise<RawClient> => {
    const c = await openClient(port, version)
    clients.push(c)
    return c
  }
  return {
    broker,
    port,
    client,
    async connected (version, fields = {}) {
      const c = await client(version)
      const ack = await c.connect(fields)
      if (ack.reasonCode !== 0) throw new Error(`CONNECT refused: ${String(ack.reasonCode)}`)
      return c
    },
    async close () {
      for (const c of clients) c.destroy()
      await broker.close()
    }
  }
}

export function connectPacket (version: ProtocolVersion, fields: Partial<ConnectPacket> = {}): ConnectPacket {
  return {
    type: 'connect',
    protocolVersion: version,
    protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
    clientId: `raw-${process.pid}-${++nextId}`,
    clean: true,
    keepAlive: 0,
    ...fields
  } as ConnectPacket
}

export function openClient (port: number, version: ProtocolVersion): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: '127.0.0.1' })
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(wrap(socket, version))
    })
  })
}

function wrap (socket: Socket, version: ProtocolVersion): RawClient {
  const decoder = new PacketDecoder({ protocolVersion: version })
  const queue: Packet[] = []
  const chunks: Buffer[] = []
  let closed = false
  let decodeError: Error | undefined
  const waiters = new Set<() => void>()
  const wake = (): void => { for (const w of [...waiters]) w() }
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    const { packets, error } = decoder.push(chunk)
    queue.push(...packets)
    if (error !== undefined) decodeError = error
    wake()
  })
  socket.on('error', () => { /* the broker closing on us is what many tests expect */ })
  socket.on('close', () => { closed = true; wake() })

  const waitFor = <T>(ms: number, take: () => T | undefined, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const v = take()
        if (v !== undefined) { done(); resolve(v); return true }
        if (decodeError !== undefined) { done(); reject(new Error(`broker sent a packet we cannot decode: ${decodeError.message}`)); return true }
        if (closed) { done(); reject(new Error(`connection closed while waiting for ${what}`)); return true }
        return false
      }
      const timer = setTimeout(() => { done(); reject(new Error(`no ${what} within ${ms} ms`)) }, ms)
      const done = (): void => { clearTimeout(timer); waiters.delete(onWake) }
      const onWake = (): void => { check() }
      if (!check()) waiters.add(onWake)
    })

  const self: RawClient = {
    version,
    send (packet) { socket.write(encode(packet, version)) },
    write (bytes) { socket.write(Buffer.from(bytes)) },
    next (ms = WAIT_MS) { return waitFor(ms, () => queue.shift(), 'packet') },
    async expect (type, ms = WAIT_MS) {
      const p = await self.next(ms)
      if (p.type !== type) throw new Error(`expected ${type}, got ${p.type}: ${JSON.stringify(p, replacer)}`)
      return p as PacketOf<typeof type>
    },
    quiet (ms = 300) {
      // True only when nothing is waiting at the end: a packet that arrived earlier and was not
      // taken counts too, so `t.true(await c.quiet())` cannot pass with an unexpected packet.
      return new Promise(resolve => { setTimeout(() => { resolve(queue.length === 0) }, ms) })
    },
    closed (ms = WAIT_MS) {
      return waitFor(ms, () => (closed ? true : undefined), 'close').then(() => undefined)
    },
    get isClosed () { return closed },
    get queued () { return queue },
    get received () { return Buffer.concat(chunks) },
    destroy () { socket.destroy() },
    async disconnect () {
      if (closed) return
      self.send(version === 5 ? { type: 'disconnect', reasonCode: 0 } : { type: 'disconnect' })
      socket.end()
      await new Promise<void>(resolve => { if (closed) resolve(); else socket.once('close', () => { resolve() }) })
    },
    async connect (fields = {}) {
      self.send(connectPacket(version, fields))
      return await self.expect('connack')
    }
  }
  return self
}

function replacer (_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer') {
    return `<${((value as { data: number[] }).data).length} bytes>`
  }
  return value
}

export const delay = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
