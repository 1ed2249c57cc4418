/** An in-memory duplex pair: what one side writes, the other reads. For tests and embedding. */
import { Duplex } from 'node:stream'

class MemoryEnd extends Duplex {
  peer: MemoryEnd | undefined
  override _read (): void {}
  override _write (chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const peer = this.peer
    if (peer === undefined || peer.destroyed) { cb(new Error('memory transport: peer closed')); return }
    peer.push(chunk)
    cb()
  }

  override _final (cb: (err?: Error | null) => void): void {
    this.peer?.push(null)
    cb()
  }

  override _destroy (err: Error | null, cb: (err?: Error | null) => void): void {
    const peer = this.peer
    this.peer = undefined
    if (peer !== undefined && !peer.destroyed) {
      peer.peer = undefined
      peer.push(null)
      peer.destroy()
    }
    cb(err)
  }
}

/** Returns two connected streams. Destroying one ends and destroys the other. */
export function createMemoryPair (): [Duplex, Duplex] {
  const a = new MemoryEnd()
  const b = new MemoryEnd()
  a.peer = b
  b.peer = a
  return [a, b]
}
