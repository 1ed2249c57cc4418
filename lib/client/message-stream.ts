/**
 * The async iterable a subscription gives: messages in arrival order, one consumer. With
 * acknowledge-after-processing each pushed message comes with a promise that settles once the
 * consumer has moved past it (asked for the next one, or stopped iterating), which is what
 * holds back its PUBACK / PUBREC.
 *
 * Until the consumer starts iterating, the stream holds back nothing: messages are kept (at most
 * PRE_ITERATION_BUFFER, oldest dropped first) so that those arriving with the SUBACK are not
 * missed, but they are not tracked, so a subscription used only through 'message' listeners
 * never delays an acknowledgement.
 */
import type { ApplicationMessage } from '../qos/types.js'

interface Entry {
  readonly message: ApplicationMessage
  readonly processed: (() => void) | undefined
}

/** Messages kept for a stream whose iteration has not started. */
export const PRE_ITERATION_BUFFER = 1000

export class MessageStream implements AsyncIterableIterator<ApplicationMessage> {
  #buffer: Entry[] = []
  #iterating = false
  #waiting: ((result: IteratorResult<ApplicationMessage>) => void) | undefined
  #rejectWaiting: ((error: Error) => void) | undefined
  /** The message handed out last, until the consumer moves past it. */
  #current: (() => void) | undefined
  #done = false
  #error: Error | undefined

  get closed (): boolean { return this.#done }
  /** Messages received and not yet taken by the consumer. */
  get buffered (): number { return this.#buffer.length }

  /** Adds a message; with `track`, resolves once the consumer has moved past it (or the stream ended). */
  push (message: ApplicationMessage, track: boolean): Promise<void> | undefined {
    if (this.#done) return undefined
    if (!this.#iterating) {
      this.#buffer.push({ message, processed: undefined })
      if (this.#buffer.length > PRE_ITERATION_BUFFER) this.#buffer.shift()
      return undefined
    }
    let promise: Promise<void> | undefined
    let processed: (() => void) | undefined
    if (track) promise = new Promise<void>(resolve => { processed = resolve })
    const waiting = this.#waiting
    if (waiting !== undefined) {
      this.#waiting = undefined
      this.#rejectWaiting = undefined
      this.#current = processed
      waiting({ value: message, done: false })
    } else {
      this.#buffer.push({ message, processed })
    }
    return promise
  }

  /** Ends the stream: a waiting consumer gets `done` (or `error`); untaken messages count as processed. */
  end (error?: Error): void {
    if (this.#done) return
    this.#done = true
    this.#error = error
    this.#settleAll()
    const waiting = this.#waiting
    const reject = this.#rejectWaiting
    this.#waiting = undefined
    this.#rejectWaiting = undefined
    if (error !== undefined && reject !== undefined) reject(error)
    else waiting?.({ value: undefined, done: true })
  }

  async next (): Promise<IteratorResult<ApplicationMessage>> {
    this.#iterating = true
    this.#movedOn()
    const entry = this.#buffer.shift()
    if (entry !== undefined) {
      this.#current = entry.processed
      return { value: entry.message, done: false }
    }
    if (this.#done) {
      if (this.#error !== undefined) throw this.#error
      return { value: undefined, done: true }
    }
    return await new Promise<IteratorResult<ApplicationMessage>>((resolve, reject) => {
      this.#waiting = resolve
      this.#rejectWaiting = reject
    })
  }

  async return (): Promise<IteratorResult<ApplicationMessage>> {
    this.end()
    return { value: undefined, done: true }
  }

  [Symbol.asyncIterator] (): AsyncIterableIterator<ApplicationMessage> {
    this.#iterating = true
    return this
  }

  #movedOn (): void {
    const current = this.#current
    this.#current = undefined
    current?.()
  }

  #settleAll (): void {
    this.#movedOn()
    const buffer = this.#buffer
    this.#buffer = []
    for (const entry of buffer) entry.processed?.()
  }
}
