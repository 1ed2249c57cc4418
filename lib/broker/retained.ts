/**
 * Retained messages: at most one per topic. A PUBLISH with RETAIN=1 replaces the topic's message
 * (v5 [MQTT-3.3.1-5], v3.1.1 [MQTT-3.3.1-5]); one with an empty payload removes it and is never
 * stored (v5 [MQTT-3.3.1-6] [MQTT-3.3.1-7], v3.1.1 [MQTT-3.3.1-10] [MQTT-3.3.1-11]). Expired
 * messages are not delivered (v5 [MQTT-3.3.2-5]) and are dropped when found.
 */
import type { ApplicationMessage } from '../qos/types.js'
import { forwardable } from './message-expiry.js'
import { filterMatches } from '../protocol/topics.js'

export interface RetainedEntry { readonly message: ApplicationMessage, readonly receivedAt: number }

export class RetainedStore {
  readonly #byTopic = new Map<string, RetainedEntry>()

  get size (): number { return this.#byTopic.size }

  /** Applies a RETAIN=1 publication; returns what changed. */
  update (message: ApplicationMessage, receivedAt: number): 'stored' | 'cleared' | 'unchanged' {
    if (message.payload.length === 0) return this.#byTopic.delete(message.topic) ? 'cleared' : 'unchanged'
    this.#byTopic.set(message.topic, { message, receivedAt })
    return 'stored'
  }

  /** The unexpired retained messages matching a filter, as they are to be forwarded at `now`. */
  match (filter: string, now: number): ApplicationMessage[] {
    const out: ApplicationMessage[] = []
    const exact = !filter.includes('+') && !filter.includes('#')
    if (exact) {
      const entry = this.#byTopic.get(filter)
      if (entry !== undefined) this.#collect(filter, entry, now, out)
      return out
    }
    for (const [topic, entry] of this.#byTopic) {
      if (filterMatches(filter, topic)) this.#collect(topic, entry, now, out)
    }
    return out
  }

  #collect (topic: string, entry: RetainedEntry, now: number, out: ApplicationMessage[]): void {
    const message = forwardable(entry.message, entry.receivedAt, now)
    if (message === undefined) this.#byTopic.delete(topic)
    else out.push(message)
  }

  entries (): IterableIterator<[string, RetainedEntry]> { return this.#byTopic.entries() }
}
