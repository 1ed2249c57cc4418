/** An injectable clock, so that timing rules are tested without the wall clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now (): number
  setTimeout (fn: () => void, ms: number): TimerHandle
  clearTimeout (handle: TimerHandle): void
}

export interface TimerHandle { readonly id: unknown }

/** Node.js timers hold at most 2^31 - 1 ms (24.8 days) and fire after 1 ms beyond it. */
const MAX_TIMER_MS = 0x7fffffff

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout (fn, ms) {
    // Longer waits (a v5 Session Expiry Interval or Will Delay of weeks) are chained, so that
    // they never fire early (v5 [MQTT-4.1.0-2]).
    const handle: { id: NodeJS.Timeout | undefined } = { id: undefined }
    const arm = (left: number): void => {
      const t = left > MAX_TIMER_MS ? setTimeout(() => { arm(left - MAX_TIMER_MS) }, MAX_TIMER_MS) : setTimeout(fn, left)
      t.unref?.()
      handle.id = t
    }
    arm(ms)
    return handle
  },
  clearTimeout (handle) { clearTimeout(handle.id as NodeJS.Timeout | undefined) }
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
