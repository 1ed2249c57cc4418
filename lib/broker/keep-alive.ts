/**
 * One timer for every connection's keep-alive deadline, instead of a timer per connection: an
 * idle broker holds many connections, and a node timer with its closure costs more memory than
 * the rest of an idle connection's state. Connections sit in a binary min-heap by deadline; the
 * one clock timer is armed for the earliest. Deadlines are checked lazily: traffic does not move
 * a connection in the heap, its check at the old deadline re-files it at the new one.
 */
import type { Clock, TimerHandle } from '../core/clock.js'

export interface Watched {
  /** When `keepAliveDue` is to be called, in clock milliseconds. */
  keepAliveAt: number
  /** Position in the heap; -1 when not watched. Owned by KeepAliveWatch. */
  keepAliveSlot: number
  /** The deadline passed: close the connection, or `watch` it again for a later one. */
  keepAliveDue (now: number): void
}

export class KeepAliveWatch {
  readonly #clock: Clock
  readonly #heap: Watched[] = []
  #timer: TimerHandle | undefined
  /** The deadline the timer is armed for. */
  #armedAt = Infinity
  #running = false

  constructor (clock: Clock) { this.#clock = clock }

  get size (): number { return this.#heap.length }

  /** Watches `w` for its `keepAliveAt` (re-files it when already watched). */
  watch (w: Watched): void {
    if (w.keepAliveSlot >= 0) this.unwatch(w)
    const heap = this.#heap
    w.keepAliveSlot = heap.length
    heap.push(w)
    this.#up(w.keepAliveSlot)
    if (!this.#running) this.#arm()
  }

  unwatch (w: Watched): void {
    const i = w.keepAliveSlot
    if (i < 0) return
    w.keepAliveSlot = -1
    const heap = this.#heap
    const last = heap.pop() as Watched
    if (i < heap.length) {
      heap[i] = last
      last.keepAliveSlot = i
      this.#down(i)
      this.#up(last.keepAliveSlot)
    }
    if (!this.#running && heap.length === 0) this.#disarm()
  }

  /** Stops the timer and forgets every connection. */
  stop (): void {
    for (const w of this.#heap) w.keepAliveSlot = -1
    this.#heap.length = 0
    this.#disarm()
  }

  readonly #fire = (): void => {
    this.#timer = undefined
    this.#armedAt = Infinity
    const now = this.#clock.now()
    const heap = this.#heap
    this.#running = true
    try {
      while (heap.length > 0 && (heap[0] as Watched).keepAliveAt <= now) {
        const due = heap[0] as Watched
        this.unwatch(due)
        due.keepAliveDue(now)
      }
    } finally {
      this.#running = false
      this.#arm()
    }
  }

  #arm (): void {
    const first = this.#heap[0]
    if (first === undefined) { this.#disarm(); return }
    if (first.keepAliveAt >= this.#armedAt) return
    this.#disarm()
    this.#armedAt = first.keepAliveAt
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, first.keepAliveAt - this.#clock.now()))
  }

  #disarm (): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#armedAt = Infinity
  }

  #up (i: number): void {
    const heap = this.#heap
    const w = heap[i] as Watched
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as Watched
      if (p.keepAliveAt <= w.keepAliveAt) break
      heap[i] = p
      p.keepAliveSlot = i
      i = parent
    }
    heap[i] = w
    w.keepAliveSlot = i
  }

  #down (i: number): void {
    const heap = this.#heap
    const n = heap.length
    const w = heap[i] as Watched
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && (heap[r] as Watched).keepAliveAt < (heap[l] as Watched).keepAliveAt ? r : l
      const child = heap[c] as Watched
      if (child.keepAliveAt >= w.keepAliveAt) break
      heap[i] = child
      child.keepAliveSlot = i
      i = c
    }
    heap[i] = w
    w.keepAliveSlot = i
  }
}
