/**
 * A loopback TCP proxy between a client and a broker that counts MQTT packets in each direction
 * (framing by fixed header and Remaining Length only) and cuts the connection at a chosen step:
 * `{ direction: 'up', drop: 3 }` forwards the first two client->broker packets of the first
 * connection, then destroys both sockets instead of forwarding the third. Later connections pass
 * through untouched. Packets are forwarded whole, one at a time, so the cut falls exactly between
 * two packets.
 */
import { connect as netConnect, createServer, type Socket } from 'node:net'
import type { ExecutionContext } from 'ava'

export interface Cut {
  /** 'up': client -> broker; 'down': broker -> client. */
  readonly direction: 'up' | 'down'
  /** 1-based index of the packet in that direction that is dropped (with the connection). */
  readonly drop: number
}

export interface Proxy {
  readonly url: string
  readonly port: number
  /** Connections accepted so far. */
  readonly connections: number
  /** True once the cut happened. */
  readonly cut: boolean
  /** Packet type names forwarded on the first connection, per direction. */
  readonly seen: { readonly up: string[], readonly down: string[] }
}

const TYPES = ['reserved', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect', 'auth']

/** Splits a byte stream into whole MQTT packets. */
class Framer {
  #buffer = Buffer.alloc(0)
  push (chunk: Buffer): Buffer[] {
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    const out: Buffer[] = []
    for (;;) {
      if (this.#buffer.length < 2) break
      let length = 0
      let multiplier = 1
      let i = 1
      let complete = false
      while (i < this.#buffer.length && i <= 4) {
        const byte = this.#buffer[i] as number
        length += (byte & 0x7f) * multiplier
        multiplier *= 128
        i++
        if ((byte & 0x80) === 0) { complete = true; break }
      }
      if (!complete || this.#buffer.length < i + length) break
      out.push(this.#buffer.subarray(0, i + length))
      this.#buffer = this.#buffer.subarray(i + length)
    }
    return out
  }
}

export async function cuttingProxy (t: ExecutionContext, brokerPort: number, cut: Cut | undefined, onCut?: () => void): Promise<Proxy> {
  const sockets = new Set<Socket>()
  const state = { connections: 0, cut: false, seen: { up: [] as string[], down: [] as string[] } }
  const server = createServer(client => {
    const index = state.connections++
    const broker = netConnect({ host: '127.0.0.1', port: brokerPort })
    sockets.add(client)
    sockets.add(broker)
    client.setNoDelay(true)
    broker.setNoDelay(true)
    const counts = { up: 0, down: 0 }
    const kill = (): void => { client.destroy(); broker.destroy() }
    const pipe = (from: Socket, to: Socket, direction: 'up' | 'down'): void => {
      const framer = new Framer()
      from.on('data', chunk => {
        for (const packet of framer.push(chunk)) {
          if (to.destroyed) return
          counts[direction]++
          if (index === 0 && cut !== undefined && !state.cut && cut.direction === direction && counts[direction] === cut.drop) {
            state.cut = true
            onCut?.()
            kill()
            return
          }
          if (index === 0) state.seen[direction].push(TYPES[(packet[0] as number) >> 4] ?? '?')
          to.write(packet)
        }
      })
      from.on('close', () => { to.destroy() })
      from.on('error', () => {})
    }
    pipe(client, broker, 'up')
    pipe(broker, client, 'down')
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
    get connections () { return state.connections },
    get cut () { return state.cut },
    seen: state.seen
  }
}
