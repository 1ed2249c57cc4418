/**
 * Regression (found by the soak run): a QoS 1/2 copy the broker routed to a session whose pending
 * queue was full was dropped without being counted, because the router always passes a `stored`
 * callback and that branch skipped the counters. The publisher is still acknowledged (the queue
 * bound is a configured limit), so the count is the only trace of the drop.
 */
import test from 'ava'
import { systemClock } from '../../lib/core/clock.js'
import { PendingQueue } from '../../lib/session/index.js'

const message = (qos: 0 | 1): { topic: string, payload: Buffer, qos: 0 | 1, retain: boolean } => ({ topic: 't', payload: Buffer.from('x'), qos, retain: false })

test('a full pending queue counts a refused QoS 1 message and a dropped QoS 0 message even when a stored callback waits', t => {
  const queue = new PendingQueue({ clock: systemClock, maxMessages: 1 })
  const stored: Array<Error | undefined> = []
  const done: Array<Error | undefined> = []
  t.true(queue.enqueue(message(1), undefined, (e) => { stored.push(e) }))
  t.false(queue.enqueue(message(1), (e) => { done.push(e) }, (e) => { stored.push(e) }))
  t.false(queue.enqueue(message(0), undefined, (e) => { stored.push(e) }))
  t.is(queue.stats.refused, 1)
  t.is(queue.stats.droppedQos0, 1)
  t.deepEqual(stored, [undefined, undefined, undefined])
  t.is(done.length, 1)
  t.is(done[0]?.name, 'QueueFullError')
})
