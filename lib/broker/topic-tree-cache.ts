/**
 * The optional match cache of TopicTree: an LRU map from topic name to match result, cleared by
 * every change of the subscriptions. Measured in bench/micro/topic-tree.ts: a large win when
 * publications repeat a working set of topics, a loss when nearly every topic is new (a stream
 * of device/<id>/telemetry topics over many devices), hence two rules:
 *
 * - admission: a topic enters on its second miss (see `offer`);
 * - adaptation: the hit rate is counted over windows of lookups; after a window below
 *   `minHitRate` the cache steps aside: it admits nothing and reorders nothing, and only answers
 *   from the entries it kept (a plain Map lookup). It comes back on after a window whose hit rate
 *   is good again (a hot set that returns), or after `bypassWindows` windows to probe for one
 *   window with admissions (a new hot set).
 *
 * The adaptation changes only what is admitted, never what a match returns: the entries kept
 * while the cache steps aside are still cleared by every change of the subscriptions.
 */

export interface MatchCacheOptions {
  /** Lookups per hit-rate window (default 1024). */
  readonly window?: number
  /** Hit rate below which the cache steps aside, 0..1 (default 1/8). */
  readonly minHitRate?: number
  /** Windows the cache stays aside before it probes with admissions again (default 16; 0: never aside). */
  readonly bypassWindows?: number
}

export class MatchCache<V> {
  readonly #capacity: number
  readonly #entries = new Map<string, V>()
  /** Topics that missed once recently and were not admitted. */
  readonly #seenOnce = new Set<string>()
  readonly #window: number
  /** Hits a window needs to keep the cache on. */
  readonly #minHits: number
  readonly #bypassWindows: number
  #lookups = 0
  #hits = 0
  /** False while the cache steps aside (admits and reorders nothing). */
  #on = true
  /** Windows left before a probe, while aside. */
  #asideLeft = 0
  /** The entry last made the most recently used, when it still is. */
  #newest: string | undefined

  constructor (capacity: number, options: MatchCacheOptions = {}) {
    this.#capacity = capacity
    this.#window = options.window ?? 1024
    this.#minHits = Math.ceil(this.#window * (options.minHitRate ?? 1 / 8))
    this.#bypassWindows = options.bypassWindows ?? 16
  }

  get size (): number { return this.#entries.size }

  /** True while the cache steps aside (a low hit rate in its last window). */
  get bypassed (): boolean { return !this.#on }

  /** The cached value, made the most recently used while the cache is on. */
  get (topic: string): V | undefined {
    const entries = this.#entries
    const value = entries.get(topic)
    if (value !== undefined) {
      this.#hits++
      // Moved to the most recent place, unless it is there already: a delete from a Map this
      // small allocates a new table, which would be one allocation per publication of one topic.
      if (this.#on && topic !== this.#newest) {
        entries.delete(topic)
        entries.set(topic, value)
        this.#newest = topic
      }
    }
    if (++this.#lookups === this.#window) this.#endWindow()
    return value
  }

  /**
   * Offers a freshly computed value after a miss. A topic is admitted on its second miss among the
   * last few thousand distinct misses: topics seen once (a stream of unique topics) would only
   * evict useful entries and keep whole match results alive long enough to reach the old GC
   * generation. A full cache evicts its least recently used entry. Ignored while aside.
   */
  offer (topic: string, value: V): void {
    if (!this.#on) return
    const seen = this.#seenOnce
    if (!seen.delete(topic)) {
      if (seen.size >= this.#capacity * 4) seen.clear()
      seen.add(topic)
      return
    }
    const entries = this.#entries
    if (entries.size >= this.#capacity) entries.delete(entries.keys().next().value as string)
    entries.set(topic, value)
    this.#newest = topic
  }

  clear (): void {
    this.#newest = undefined
    this.#entries.clear()
    this.#seenOnce.clear()
  }

  #endWindow (): void {
    if (this.#hits >= this.#minHits) this.#on = true
    else if (this.#on) {
      if (this.#bypassWindows > 0) {
        this.#on = false
        this.#asideLeft = this.#bypassWindows
        // What was seen once is of no use after the pause.
        this.#seenOnce.clear()
      }
    } else if (--this.#asideLeft === 0) this.#on = true // probe for one window
    this.#lookups = 0
    this.#hits = 0
  }
}
