/** What `client.subscribe()` resolves with: the granted codes, and the matching messages as an async iterable. */
import type { AckProperties } from '../protocol/packets.js'
import type { ApplicationMessage } from '../qos/types.js'
import type { StreamEntry } from './subscriptions.js'

export class Subscription implements AsyncIterable<ApplicationMessage> {
  /** The topic filters, in the order given. */
  readonly filters: readonly string[]
  /** One per filter: the QoS granted (0, 1, 2) or a failure code (0x80 in v3.1.1, >= 0x80 in v5). */
  readonly granted: readonly number[]
  /** v5 SUBACK Reason String and User Properties, when the server sent any. */
  readonly properties: AckProperties | undefined
  readonly #entry: StreamEntry
  readonly #actions: { unsubscribe: () => Promise<void>, close: () => void }

  constructor (filters: readonly string[], granted: readonly number[], properties: AckProperties | undefined, entry: StreamEntry, actions: { unsubscribe: () => Promise<void>, close: () => void }) {
    this.filters = filters
    this.granted = granted
    this.properties = properties
    this.#entry = entry
    this.#actions = actions
  }

  /** Messages received and not yet taken by the iterator. */
  get buffered (): number { return this.#entry.stream.buffered }

  /** One consumer: every call returns the same iterator. */
  [Symbol.asyncIterator] (): AsyncIterableIterator<ApplicationMessage> { return this.#entry.stream[Symbol.asyncIterator]() }

  /** Sends UNSUBSCRIBE for these filters and ends the iteration. */
  async unsubscribe (): Promise<void> {
    this.#actions.close()
    await this.#actions.unsubscribe()
  }

  /** Ends the iteration; the subscription stays on the server ('message' listeners still get its messages). */
  close (): void { this.#actions.close() }
}
