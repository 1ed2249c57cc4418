import type { Duplex } from 'node:stream'
import type { ByteStream, StreamSink } from './contract.js'

/** How long `end` waits for a peer that does not read before it cuts the connection. */
export const END_GRACE_MS = 2000

/** A node Duplex (TLS socket, WebSocket stream, memory pair, net.Socket) as a ByteStream. */
export function fromDuplex (duplex: Duplex): ByteStream { return new DuplexStream(duplex) }

class DuplexStream implements ByteStream {
  readonly #duplex: Duplex
  #sink: StreamSink | undefined

  constructor (duplex: Duplex) { this.#duplex = duplex }

  get pendingBytes (): number { return this.#duplex.writableLength }

  attach (sink: StreamSink): void {
    this.#sink = sink
    const duplex = this.#duplex
    duplex.on('data', this.#onData)
    duplex.on('error', this.#onError)
    duplex.on('close', this.#onClose)
    duplex.on('end', this.#onClose)
  }

  pause (): void { this.#duplex.pause() }
  resume (): void { this.#duplex.resume() }
  cork (): void { this.#duplex.cork() }
  uncork (): void { this.#duplex.uncork() }
  write (chunk: Buffer): void { this.#duplex.write(chunk) }

  end (): void {
    this.#detach()
    const duplex = this.#duplex
    duplex.end()
    const timer = setTimeout(() => duplex.destroy(), END_GRACE_MS)
    timer.unref()
  }

  destroy (): void {
    this.#detach()
    this.#duplex.destroy()
  }

  /** After our own end or destroy the sink hears nothing more. */
  #detach (): void {
    const duplex = this.#duplex
    this.#sink = undefined
    duplex.off('data', this.#onData)
    // An error after our own close must still be observed, or node throws it.
    duplex.off('error', this.#onError)
    duplex.on('error', ignore)
  }

  readonly #onData = (chunk: Buffer): void => { this.#sink?.streamData(chunk) }
  readonly #onError = (error: Error): void => { this.#ended(error) }
  readonly #onClose = (): void => { this.#ended(undefined) }

  #ended (error: Error | undefined): void {
    const sink = this.#sink
    if (sink === undefined) return
    this.#sink = undefined
    sink.streamEnded(error)
  }
}

function ignore (): void {}
