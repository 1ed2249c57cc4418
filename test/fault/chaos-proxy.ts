/**
 * A chaos TCP proxy on loopback: clients connect to it, it connects each of them to the broker
 * and forwards bytes both ways, while it
 *  - delays chunks (order within a direction is kept, as TCP keeps it);
 *  - cuts connections: each direction of each connection gets a byte budget drawn from the seeded
 *    generator; the chunk that crosses it is forwarded only up to that byte offset (so most cuts
 *    land in the middle of an MQTT packet), then both sockets are closed, with a FIN or a RST;
 *  - can cut every open connection at once (`cutAll`).
 * A small frame tracker per direction tells whether a cut landed inside a packet or between two.
 */
import net from 'node:net'
import type { Rng } from './rng.js'

export interface ChaosProxyOptions {
  readonly rng: Rng
  /** Where to connect each client; a function so a restarted broker's new port can be followed. */
  readonly upstreamPort: number | (() => number)
  /** Mean byte budget of one direction of a connection before it is cut. Default 16 KiB. */
  readonly meanBytesToCut?: number
  /** Share of chunks that are held back. Default 0.2. */
  readonly delayProbability?: number
  /** Longest hold of one chunk, in ms. Default 15. */
  readonly maxDelayMs?: number
}

export interface ChaosStats {
  connections: number
  cuts: number
  /** Cuts whose byte offset fell inside an MQTT packet (not on a packet boundary). */
  midPacketCuts: number
  delayedChunks: number
  bytes: number
}

/** Follows MQTT framing (fixed header, Remaining Length) to tell whether an offset is inside a packet. */
class FrameTracker {
  #phase: 'type' | 'length' | 'body' = 'type'
  #length = 0
  #multiplier = 1
  #left = 0

  get atBoundary (): boolean { return this.#phase === 'type' }

  advance (bytes: Buffer): void {
    let i = 0
    while (i < bytes.length) {
      if (this.#phase === 'type') {
        this.#phase = 'length'; this.#length = 0; this.#multiplier = 1; i++
      } else if (this.#phase === 'length') {
        const b = bytes[i++] as number
        this.#length += (b & 0x7f) * this.#multiplier
        this.#multiplier *= 128
        if ((b & 0x80) === 0) {
          this.#left = this.#length
          this.#phase = this.#left === 0 ? 'type' : 'body'
        }
      } else {
        const take = Math.min(this.#left, bytes.length - i)
        this.#left -= take; i += take
        if (this.#left === 0) this.#phase = 'type'
      }
    }
  }
}

interface Held { readonly chunk: Buffer, readonly at: number }
interface Direction {
  readonly to: net.Socket
  budget: number
  readonly frames: FrameTracker
  lastAt: number
  readonly held: Held[]
  timer: NodeJS.Timeout | undefined
}

export class ChaosProxy {
  readonly #server: net.Server
  readonly #options: ChaosProxyOptions
  readonly #rng: Rng
  readonly #cutters = new Set<() => void>()
  readonly #describers = new Set<() => string>()
  readonly stats: ChaosStats = { connections: 0, cuts: 0, midPacketCuts: 0, delayedChunks: 0, bytes: 0 }
  /** When false, no connection is cut (delays go on). */
  cutting = true
  port = 0

  private constructor (options: ChaosProxyOptions) {
    this.#options = options
    this.#rng = options.rng
    this.#server = net.createServer(socket => { this.#accept(socket) })
  }

  static async start (options: ChaosProxyOptions): Promise<ChaosProxy> {
    const proxy = new ChaosProxy(options)
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject)
      proxy.#server.listen(0, '127.0.0.1', () => { resolve() })
    })
    proxy.port = (proxy.#server.address() as net.AddressInfo).port
    return proxy
  }

  /** Per open connection: bytes held back and bytes waiting in the sockets, each way (diagnostics). */
  describe (): string[] { return [...this.#describers].map(d => d()) }

  /** Cuts every open connection now (counted as cuts). */
  cutAll (): void { for (const cut of [...this.#cutters]) cut() }

  async close (): Promise<void> {
    this.cutting = false
    for (const cut of [...this.#cutters]) cut()
    await new Promise<void>(resolve => { this.#server.close(() => { resolve() }) })
  }

  #budget (): number {
    const mean = this.#options.meanBytesToCut ?? 16 * 1024
    return 1 + Math.floor(this.#rng.next() * 2 * mean)
  }

  #accept (client: net.Socket): void {
    this.stats.connections++
    const up = typeof this.#options.upstreamPort === 'number' ? this.#options.upstreamPort : this.#options.upstreamPort()
    const upstream = net.connect(up, '127.0.0.1')
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    let closed = false
    const rst = this.#rng.chance(0.5)
    const close = (counted: boolean, mid: boolean): void => {
      if (closed) return
      closed = true
      this.#cutters.delete(cutNow)
      this.#describers.delete(describe)
      if (counted) {
        this.stats.cuts++
        if (mid) this.stats.midPacketCuts++
      }
      for (const s of [client, upstream]) {
        if (counted && rst) s.resetAndDestroy()
        else { s.end(); setTimeout(() => s.destroy(), 50).unref() }
      }
    }
    const cutNow = (): void => { close(true, !toUp.frames.atBoundary || !toDown.frames.atBoundary) }
    this.#cutters.add(cutNow)
    const toUp: Direction = { to: upstream, budget: this.#budget(), frames: new FrameTracker(), lastAt: 0, held: [], timer: undefined }
    const toDown: Direction = { to: client, budget: this.#budget(), frames: new FrameTracker(), lastAt: 0, held: [], timer: undefined }
    const forward = (dir: Direction, chunk: Buffer): void => {
      if (closed) return
      if (this.cutting && chunk.length >= dir.budget) {
        const head = chunk.subarray(0, dir.budget)
        dir.frames.advance(head)
        if (head.length > 0) dir.to.write(head)
        this.stats.bytes += head.length
        close(true, !dir.frames.atBoundary)
        return
      }
      if (this.cutting) dir.budget -= chunk.length
      dir.frames.advance(chunk)
      this.stats.bytes += chunk.length
      dir.to.write(chunk)
    }
    // One FIFO per direction, drained by one timer at a time: chunks never overtake each other.
    const drain = (dir: Direction): void => {
      dir.timer = undefined
      const now = Date.now()
      while (dir.held.length > 0 && (dir.held[0] as Held).at <= now) forward(dir, (dir.held.shift() as Held).chunk)
      const head = dir.held[0]
      if (head !== undefined) dir.timer = setTimeout(() => { drain(dir) }, head.at - now)
    }
    const schedule = (dir: Direction) => (chunk: Buffer): void => {
      const maxDelay = this.#options.maxDelayMs ?? 15
      const delayed = this.#rng.chance(this.#options.delayProbability ?? 0.2)
      const now = Date.now()
      const at = Math.max(dir.lastAt, delayed ? now + this.#rng.int(1, maxDelay) : now)
      dir.lastAt = at
      if (dir.held.length === 0 && at <= now) { forward(dir, chunk); return }
      this.stats.delayedChunks++
      dir.held.push({ chunk, at })
      if (dir.timer === undefined) dir.timer = setTimeout(() => { drain(dir) }, Math.max(0, (dir.held[0] as Held).at - now))
    }
    const describe = (): string => `#${this.stats.connections} client:${client.remotePort ?? 0} up held ${toUp.held.length} timer ${String(toUp.timer !== undefined)} buffered ${upstream.writableLength} paused ${String(client.isPaused())}; down held ${toDown.held.length} timer ${String(toDown.timer !== undefined)} buffered ${client.writableLength} paused ${String(upstream.isPaused())}`
    this.#describers.add(describe)
    client.on('data', schedule(toUp))
    upstream.on('data', schedule(toDown))
    // A side that ends (or closes) is ended on the other side once its held chunks went through.
    for (const [s, dir] of [[client, toUp], [upstream, toDown]] as const) {
      const later = (): void => { setTimeout(() => { close(false, false) }, Math.max(0, dir.lastAt - Date.now()) + 1) }
      s.on('error', later)
      s.on('close', later)
      s.on('end', later)
    }
  }
}
