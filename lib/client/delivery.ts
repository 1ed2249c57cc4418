/**
 * Handing a received message to the application: the 'message' listeners and the matching
 * subscription iterators. With acknowledge-after-processing the returned promise settles when all
 * of them are done with it, and the session sends the PUBACK / PUBREC only then; a throwing or
 * rejecting handler means no acknowledgement, so the server sends the message again.
 */
import type { ApplicationMessage } from '../qos/types.js'
import type { ClientEventMap } from './events.js'
import type { Subscriptions } from './subscriptions.js'

type Listener = (...args: ClientEventMap['message']) => unknown

export function deliverToApplication (
  message: ApplicationMessage, track: boolean, subs: Subscriptions, listeners: readonly Listener[], thisArg: unknown, report: (error: Error) => void
): void | Promise<void> {
  const waits = subs.route(message, track)
  for (const listener of listeners) {
    let result: unknown
    try {
      result = listener.call(thisArg, message.topic, message.payload, message)
    } catch (error) {
      if (track) throw error
      // Acknowledged on receipt: a throwing handler is reported and the message still acknowledged.
      report(error instanceof Error ? error : new Error(String(error)))
      continue
    }
    if (track && isThenable(result)) waits.push(Promise.resolve(result).then(() => {}))
  }
  if (waits.length === 0) return
  return Promise.all(waits).then(() => {})
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
