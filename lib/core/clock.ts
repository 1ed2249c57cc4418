/** An injectable clock, so that timing rules are tested without the wall clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now (): number
  setTimeout (fn: () => void, ms: number): TimerHandle
  clearTimeout (handle: TimerHandle): void
}

export interface TimerHandle { readonly id: unknown }

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout (fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return { id: t }
  },
  clearTimeout (handle) { clearTimeout(handle.id as NodeJS.Timeout) }
}

/** A manual clock for tests: time moves only when `advance` is called. */
export class ManualClock implements Clock {
  #now: number
  #timers = new Map<number, { at: number, fn: () => void }>()
  #next = 1
  constructor (start = 0) { this.#now = start }
  now (): number { return this.#now }
  setTimeout (fn: () => void, ms: number): TimerHandle {
    const id = this.#next++
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn })
    return { id }
  }

  clearTimeout (handle: TimerHandle): void { this.#timers.delete(handle.id as number) }
  /** Moves time forward, firing due timers in order of their deadlines. */
  advance (ms: number): void {
    const end = this.#now + ms
    for (;;) {
      let dueId: number | undefined
      let dueAt = Infinity
      for (const [id, t] of this.#timers) if (t.at <= end && t.at < dueAt) { dueAt = t.at; dueId = id }
      if (dueId === undefined) break
      const timer = this.#timers.get(dueId)
      this.#timers.delete(dueId)
      this.#now = dueAt
      timer?.fn()
    }
    this.#now = end
  }

  get pendingTimers (): number { return this.#timers.size }
}
