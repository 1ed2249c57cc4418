/**
 * TCP connections on bare libuv handles, without `net.Socket`.
 *
 * A `net.Socket` with its readable and writable stream states costs about 4 KiB of memory per
 * connection and a stream round trip per read and write; the TCP handle under it costs about
 * 1.6 KiB. An MQTT broker holds many mostly idle connections and reads small packets, so it
 * talks to the handle directly: reads arrive as buffers, writes go out as one `writeBuffer` or
 * `writev` per corked tick. This is node's own stream layer (`tcp_wrap`, `stream_wrap`, as
 * `lib/net.js` uses them), reached through `process.binding`; `rawTcpBinding()` returns
 * undefined when a node does not offer it, and the caller then falls back to `net.Socket`.
 */
import type { Server } from 'node:net'
import { getSystemErrorName } from 'node:util'
import type { ByteStream, StreamSink } from './contract.js'
import { END_GRACE_MS } from './duplex-stream.js'

interface WriteReq {
  handle: TcpHandle
  oncomplete: (this: WriteReq, status: number, handle: TcpHandle) => void
  async: boolean
  bytes: number
  /** Keeps what is being written alive until the write completes. */
  buffer: Buffer | Buffer[] | null
}

interface ShutdownReq {
  handle: TcpHandle
  oncomplete: (this: ShutdownReq, status: number) => void
}

interface TcpHandle {
  onread: ((this: TcpHandle, buffer: ArrayBuffer | undefined) => void) | null
  readStart (): number
  readStop (): number
  writeBuffer (req: WriteReq, data: Buffer): number
  writev (req: WriteReq, chunks: Buffer[], allBuffers: true): number
  shutdown (req: ShutdownReq): number
  close (callback?: () => void): void
  setNoDelay (enable: boolean): number
  getpeername (out: { address?: string }): number
  [kStream]?: RawTcpStream
}

interface RawTcpBinding {
  readonly WriteWrap: new () => WriteReq
  readonly ShutdownWrap: new () => ShutdownReq
  /** Shared with the native side: the result of the last read and write calls. */
  readonly state: Int32Array
  readonly kReadBytesOrError: number
  readonly kArrayBufferOffset: number
  readonly kLastWriteWasAsync: number
}

const kStream = Symbol('qosmos.rawTcpStream')
const UV_EOF = -4095

let binding: RawTcpBinding | null | undefined

/** node's stream binding, or undefined when this node does not expose it. */
export function rawTcpBinding (): RawTcpBinding | undefined {
  if (binding === undefined) binding = loadBinding()
  return binding ?? undefined
}

function loadBinding (): RawTcpBinding | null {
  try {
    const bind = (process as unknown as { binding: (name: string) => Record<string, unknown> }).binding
    const stream = bind('stream_wrap')
    const ok = typeof stream.WriteWrap === 'function' && typeof stream.ShutdownWrap === 'function' &&
      stream.streamBaseState instanceof Int32Array && typeof stream.kReadBytesOrError === 'number' &&
      typeof stream.kArrayBufferOffset === 'number' && typeof stream.kLastWriteWasAsync === 'number'
    if (!ok) return null
    return {
      WriteWrap: stream.WriteWrap as RawTcpBinding['WriteWrap'],
      ShutdownWrap: stream.ShutdownWrap as RawTcpBinding['ShutdownWrap'],
      state: stream.streamBaseState as Int32Array,
      kReadBytesOrError: stream.kReadBytesOrError as number,
      kArrayBufferOffset: stream.kArrayBufferOffset as number,
      kLastWriteWasAsync: stream.kLastWriteWasAsync as number
    }
  } catch {
    return null
  }
}

/**
 * Takes over a listening `net.Server`'s accepted connections: each arrives as a RawTcpStream
 * instead of a `net.Socket`. Returns false (and changes nothing) when the server's handle is not
 * the one expected. Accept errors (EMFILE and the like) go to `onError`.
 */
export function acceptRaw (server: Server, onStream: (stream: RawTcpStream, remoteAddress: string | undefined) => void, onError: (error: Error) => void): boolean {
  const b = rawTcpBinding()
  const handle = (server as unknown as { _handle?: { onconnection?: unknown } })._handle
  if (b === undefined || handle === undefined || typeof handle.onconnection !== 'function') return false
  handle.onconnection = (status: number, client: TcpHandle | undefined): void => {
    if (status !== 0 || client === undefined) { onError(uvError(status, 'accept')); return }
    client.setNoDelay(true)
    const out: { address?: string } = {}
    const remoteAddress = client.getpeername(out) === 0 ? out.address : undefined
    onStream(new RawTcpStream(client, b), remoteAddress)
  }
  return true
}

/** One accepted TCP connection on its bare handle. */
export class RawTcpStream implements ByteStream {
  readonly #handle: TcpHandle
  readonly #b: RawTcpBinding
  #sink: StreamSink | undefined
  #corked = false
  /** What was written while corked: one chunk (the usual case, no array), or several. */
  #held: Buffer | Buffer[] | undefined
  #pending = 0
  /** 0 open, 1 ending (shutdown sent, draining reads), 2 closed. */
  #state = 0
  #reading = false

  constructor (handle: TcpHandle, b: RawTcpBinding) {
    this.#handle = handle
    this.#b = b
    handle[kStream] = this
  }

  get pendingBytes (): number { return this.#pending }

  attach (sink: StreamSink): void {
    this.#sink = sink
    this.#handle.onread = onRead
    this.resume()
  }

  pause (): void {
    if (!this.#reading || this.#state !== 0) return
    this.#reading = false
    this.#handle.readStop()
  }

  resume (): void {
    if (this.#reading || this.#state === 2) return
    this.#reading = true
    const err = this.#handle.readStart()
    if (err !== 0) this.#fail(uvError(err, 'read'))
  }

  cork (): void { this.#corked = true }

  uncork (): void {
    if (!this.#corked) return
    this.#corked = false
    const held = this.#held
    if (held === undefined) return
    this.#held = undefined
    this.#send(held)
  }

  write (chunk: Buffer): void {
    if (this.#state !== 0) return
    if (!this.#corked) { this.#send(chunk); return }
    const held = this.#held
    if (held === undefined) this.#held = chunk
    else if (Array.isArray(held)) held.push(chunk)
    else this.#held = [held, chunk]
  }

  end (): void {
    if (this.#state !== 0) return
    this.uncork()
    if (this.#state !== 0) return
    this.#sink = undefined
    this.#state = 1
    const req = new this.#b.ShutdownWrap()
    req.handle = this.#handle
    req.oncomplete = onShutdown
    if (this.#handle.shutdown(req) !== 0) { this.#close(); return }
    // Read on (and drop) until the peer closes its side: closing with unread bytes would reset
    // the connection and could throw away the last packets we sent. A peer that never closes
    // is cut off after the grace period.
    this.resume()
    const timer = setTimeout(() => { this.#close() }, END_GRACE_MS)
    timer.unref()
  }

  destroy (): void {
    this.#sink = undefined
    this.#close()
  }

  #send (data: Buffer | Buffer[]): void {
    const b = this.#b
    const req = new b.WriteWrap()
    req.handle = this.#handle
    req.oncomplete = onWritten
    req.async = false
    req.buffer = null
    const err = Array.isArray(data) ? this.#handle.writev(req, data, true) : this.#handle.writeBuffer(req, data)
    if (err !== 0) { this.#fail(uvError(err, 'write')); return }
    if (b.state[b.kLastWriteWasAsync] !== 0) {
      const bytes = Array.isArray(data) ? totalLength(data) : data.length
      req.async = true
      req.bytes = bytes
      req.buffer = data
      this.#pending += bytes
    }
  }

  /** @internal a write the kernel could not take at once has completed. */
  written (status: number, bytes: number): void {
    this.#pending -= bytes
    if (status !== 0 && this.#state !== 2) this.#fail(uvError(status, 'write'))
  }

  /** @internal bytes or the end of the stream arrived. */
  read (buffer: ArrayBuffer | undefined): void {
    const b = this.#b
    const nread = b.state[b.kReadBytesOrError] as number
    if (nread > 0 && buffer !== undefined) {
      const sink = this.#sink
      if (sink !== undefined) sink.streamData(Buffer.from(buffer, b.state[b.kArrayBufferOffset], nread))
      return
    }
    if (nread === 0) return
    if (this.#state === 1 || nread === UV_EOF) {
      // MQTT has no half-open connections: the peer's end closes ours too.
      const sink = this.#sink
      this.#sink = undefined
      this.#close()
      sink?.streamEnded(undefined)
      return
    }
    this.#fail(uvError(nread, 'read'))
  }

  /** @internal our side's shutdown completed (or failed). */
  shutDown (status: number): void {
    if (status !== 0) this.#close()
  }

  #fail (error: Error): void {
    const sink = this.#sink
    this.#sink = undefined
    this.#close()
    sink?.streamEnded(error)
  }

  #close (): void {
    if (this.#state === 2) return
    this.#state = 2
    this.#reading = false
    this.#corked = false
    this.#held = undefined
    const handle = this.#handle
    handle.onread = ignoreRead
    handle.close()
  }
}

function ignoreRead (): void {}

function onRead (this: TcpHandle, buffer: ArrayBuffer | undefined): void { this[kStream]?.read(buffer) }

function onWritten (this: WriteReq, status: number, handle: TcpHandle): void {
  this.buffer = null
  handle[kStream]?.written(status, this.bytes)
}

function onShutdown (this: ShutdownReq, status: number): void { this.handle[kStream]?.shutDown(status) }

function totalLength (chunks: readonly Buffer[]): number {
  let n = 0
  for (const c of chunks) n += c.length
  return n
}

function uvError (code: number, syscall: string): Error {
  let name: string
  try { name = getSystemErrorName(code) } catch { name = `E${-code}` }
  return Object.assign(new Error(`${syscall} ${name}`), { code: name, errno: code, syscall })
}
