/**
 * Acknowledge after durable: a QoS 1/2 PUBLISH is answered (PUBACK, PUBREC) only once every
 * session it was routed to has recorded its copy in the store, and the retained store has
 * recorded it when it was retained. One DurableAck per routed message counts the records
 * still being written; the publisher's session awaits `settled()` before it acknowledges.
 *
 * With a synchronous store (memory) every record completes while routing, `settled()` returns
 * undefined and no promise is made: the fast path stays allocation-light.
 */
import { StorageError } from '../core/errors.js'
import type { Done } from '../session/index.js'

export class DurableAck {
  /** Records still being written, plus one held by the routing itself until `settled()`. */
  #pending = 1
  #error: Error | undefined
  #resolve: (() => void) | undefined
  #reject: ((error: Error) => void) | undefined

  /** One more record; the returned callback is called once when it is written (or failed). */
  track (): Done {
    this.#pending++
    // Made on first use: most messages reach no session with a store, and track nothing.
    return this.#done ??= (error) => { this.#finish(error) }
  }

  /** A store change whose result may be a promise. */
  wait (result: Promise<void> | void): void {
    if (result === undefined) return
    this.#pending++
    result.then(() => { this.#finish(undefined) }, (error: unknown) => { this.#finish(asError(error)) })
  }

  /** Called once routing is over: undefined when everything is already written, else a promise. Throws or rejects with the first failure. */
  settled (): Promise<void> | undefined {
    this.#pending--
    if (this.#pending === 0) {
      if (this.#error !== undefined) throw this.#error
      return undefined
    }
    return new Promise<void>((resolve, reject) => { this.#resolve = resolve; this.#reject = reject })
  }

  #done: Done | undefined

  #finish (error: Error | undefined): void {
    if (error !== undefined) this.#error ??= error
    if (--this.#pending > 0) return
    if (this.#error !== undefined) this.#reject?.(this.#error)
    else this.#resolve?.()
  }
}

function asError (error: unknown): Error {
  return error instanceof Error ? error : new StorageError(`a store write failed: ${String(error)}`)
}
