/**
 * A scripted MQTT server on loopback for client tests: it decodes what the client sends and
 * sends exactly the packets the test chooses, so a test sees the client's packets on the wire
 * (what, in which order, with which flags) and controls every answer.
 *
 *   const s = await fakeServer(t)
 *   const client = connect(s.url, ...)
 *   const peer = await s.accept()            // next connection
 *   const connect = await peer.expect('connect')
 *   peer.send({ type: 'connack', sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 2 } })
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { ExecutionContext } from 'ava'
import { encode, PacketDecoder } from '../../lib/protocol/index.js'
import type { ConnackProperties, Packet, ProtocolVersion } from '../../lib/protocol/packets.js'

type PacketOf<T extends Packet['type']> = Extract<Packet, { type: T }>

export interface FakePeer {
  /** Everything received so far (taken or not), in order. */
  readonly received: readonly Packet[]
  send: (packet: Packet) => void
  next: (ms?: number) => Promise<Packet>
  expect: <T extends Packet['type']>(type: T, ms?: number) => Promise<PacketOf<T>>
  /** True when nothing arrives for `ms` (a guard, not a timing assertion: it only proves absence). */
  quiet: (ms?: number) => Promise<boolean>
  /** CONNECT in, CONNACK 0 out; returns the CONNECT. */
  handshake: (properties?: ConnackProperties, sessionPresent?: boolean) => Promise<PacketOf<'connect'>>
  closed: () => Promise<void>
  readonly isClosed: boolean
  destroy: () => void
}

export interface FakeServer {
  readonly url: string
  readonly port: number
  accept: (ms?: number) => Promise<FakePeer>
}

export async function fakeServer (t: ExecutionContext): Promise<FakeServer> {
  const waiting: Array<(peer: FakePeer) => void> = []
  const ready: FakePeer[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer(socket => {
    sockets.add(socket)
    const peer = makePeer(socket)
    const w = waiting.shift()
    if (w !== undefined) w(peer)
    else ready.push(peer)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>(resolve => server.close(() => resolve()))
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    accept: async (ms = 5000) => {
      const peer = ready.shift()
      if (peer !== undefined) return peer
      return await new Promise<FakePeer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no connection came')), ms)
        waiting.push(p => { clearTimeout(timer); resolve(p) })
      })
    }
  }
}

function makePeer (socket: Socket): FakePeer {
  const decoder = new PacketDecoder()
  let version: ProtocolVersion = 4
  const received: Packet[] = []
  const queue: Packet[] = []
  let wake: (() => void) | undefined
  let isClosed = false
  const closedWaiters: Array<() => void> = []
  socket.on('data', chunk => {
    const result = decoder.push(chunk)
    for (const p of result.packets) {
      if (p.type === 'connect') version = p.protocolVersion
      received.push(p)
      queue.push(p)
    }
    wake?.()
  })
  const onClose = (): void => {
    if (isClosed) return
    isClosed = true
    wake?.()
    for (const w of closedWaiters.splice(0)) w()
  }
  socket.on('close', onClose)
  socket.on('end', onClose)
  socket.on('error', () => {})

  const next = async (ms = 3000): Promise<Packet> => {
    const deadline = Date.now() + ms
    for (;;) {
      const p = queue.shift()
      if (p !== undefined) return p
      if (isClosed) throw new Error('connection closed')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no packet within ${ms} ms`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, left)
        wake = () => { clearTimeout(timer); wake = undefined; resolve() }
      })
    }
  }
  const peer: FakePeer = {
    received,
    get isClosed () { return isClosed },
    send: (packet) => { if (!socket.destroyed) socket.write(encode(packet, version)) },
    next,
    expect: async (type, ms) => {
      const p = await next(ms)
      if (p.type !== type) throw new Error(`expected ${type}, got ${p.type}`)
      return p as PacketOf<typeof type>
    },
    quiet: async (ms = 150) => {
      if (queue.length > 0) return false
      await new Promise(resolve => setTimeout(resolve, ms))
      return queue.length === 0
    },
    handshake: async (properties, sessionPresent = false) => {
      const c = await peer.expect('connect')
      peer.send(version === 5 && properties !== undefined
        ? { type: 'connack', sessionPresent, reasonCode: 0, properties }
        : { type: 'connack', sessionPresent, reasonCode: 0 })
      return c
    },
    closed: async () => { if (!isClosed) await new Promise<void>(resolve => closedWaiters.push(resolve)) },
    destroy: () => { socket.destroy() }
  }
  return peer
}
