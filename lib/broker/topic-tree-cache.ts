/**
 * The optional match cache of TopicTree: an LRU map from topic name to match result, cleared by
 * every change of the subscriptions. Measured in bench/micro/topic-tree.ts: a large win when
 * publications repeat a working set of topics, a loss when nearly every topic is new, hence the
 * admission rule below.
 */
export class MatchCache<V> {
  readonly #capacity: number
  readonly #entries = new Map<string, V>()
  /** Topics that missed once recently and were not admitted. */
  readonly #seenOnce = new Set<string>()

  constructor (capacity: number) {
    this.#capacity = capacity
  }

  get size (): number { return this.#entries.size }

  /** The cached value, made the most recently used. */
  get (topic: string): V | undefined {
    const entries = this.#entries
    const value = entries.get(topic)
    if (value !== undefined) {
      entries.delete(topic)
      entries.set(topic, value)
    }
    return value
  }

  /**
   * Offers a freshly computed value after a miss. A topic is admitted on its second miss among the
   * last few thousand distinct misses: topics seen once (a stream of unique topics) would only
   * evict useful entries and keep whole match results alive long enough to reach the old GC
   * generation. A full cache evicts its least recently used entry.
   */
  offer (topic: string, value: V): void {
    const seen = this.#seenOnce
    if (!seen.delete(topic)) {
      if (seen.size >= this.#capacity * 4) seen.clear()
      seen.add(topic)
      return
    }
    const entries = this.#entries
    if (entries.size >= this.#capacity) entries.delete(entries.keys().next().value as string)
    entries.set(topic, value)
  }

  clear (): void {
    this.#entries.clear()
    this.#seenOnce.clear()
  }
}
