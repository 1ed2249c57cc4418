import test from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import { MessageExpiredError, QueueFullError } from '../../lib/core/errors.js'
import type { QoS } from '../../lib/protocol/packets.js'
import { PendingQueue, type PendingQueueOptions } from '../../lib/session/pending-queue.js'
import type { ApplicationMessage } from '../../lib/qos/types.js'

function msg (topic: string, qos: QoS, payloadBytes = 0, expiry?: number): ApplicationMessage {
  const base = { topic, payload: Buffer.alloc(payloadBytes), qos, retain: false }
  return expiry === undefined ? base : { ...base, properties: { messageExpiryInterval: expiry, contentType: 'x' } }
}

function setup (options: Partial<PendingQueueOptions> = {}): { queue: PendingQueue, clock: ManualClock, outcomes: Map<string, Error | undefined>, done: (label: string) => (e: Error | undefined) => void } {
  const clock = new ManualClock(0)
  const outcomes = new Map<string, Error | undefined>()
  return {
    queue: new PendingQueue({ clock, ...options }),
    clock,
    outcomes,
    done: label => e => { outcomes.set(label, e) }
  }
}

function drain (queue: PendingQueue): string[] {
  const topics: string[] = []
  for (let e = queue.dequeue(true); e !== undefined; e = queue.dequeue(true)) topics.push(e.message.topic)
  return topics
}

test('dequeues in FIFO order and counts bytes as payload + topic', t => {
  const { queue } = setup()
  queue.enqueue(msg('a', 1, 10), undefined)
  queue.enqueue(msg('bb', 0, 5), undefined)
  queue.enqueue(msg('ccc', 2), undefined)
  t.is(queue.stats.bytes, 11 + 7 + 3)
  t.deepEqual(drain(queue), ['a', 'bb', 'ccc'])
  t.is(queue.stats.bytes, 0)
})

test('without quota QoS 1/2 messages stay queued in order, and QoS 0 messages behind them pass them', t => {
  const { queue } = setup()
  queue.enqueue(msg('one-a', 1), undefined)
  queue.enqueue(msg('zero-a', 0), undefined)
  queue.enqueue(msg('two-a', 2), undefined)
  queue.enqueue(msg('zero-b', 0), undefined)
  t.is(queue.dequeue(false)?.message.topic, 'zero-a')
  t.is(queue.dequeue(false)?.message.topic, 'zero-b')
  t.is(queue.dequeue(false), undefined)
  t.is(queue.length, 2)
  t.is(queue.stats.bytes, 'one-a'.length + 'two-a'.length)
  t.deepEqual(drain(queue), ['one-a', 'two-a'])
})

test('full by count: a new QoS 1/2 message is refused with QueueFullError 0x97 and counted', t => {
  const { queue, outcomes, done } = setup({ maxMessages: 2 })
  t.true(queue.enqueue(msg('a', 1), done('a')))
  t.true(queue.enqueue(msg('b', 2), done('b')))
  t.false(queue.enqueue(msg('c', 1), done('c')))
  const error = outcomes.get('c')
  t.true(error instanceof QueueFullError)
  t.is((error as QueueFullError).reasonCode, 0x97)
  t.false(outcomes.has('a'))
  t.like(queue.stats, { queued: 2, refused: 1, droppedQos0: 0 })
  t.deepEqual(drain(queue), ['a', 'b'])
})

test('full by bytes: a message that does not fit is refused even when the count allows it', t => {
  const { queue, outcomes, done } = setup({ maxBytes: 20 })
  t.true(queue.enqueue(msg('a', 1, 9), done('a')))
  t.false(queue.enqueue(msg('b', 1, 10), done('b')))
  t.true(queue.enqueue(msg('c', 1, 9), done('c')))
  t.true(outcomes.get('b') instanceof QueueFullError)
  t.false(queue.enqueue(msg('huge', 1, 100), done('huge')))
  t.like(queue.stats, { queued: 2, bytes: 20, refused: 2 })
})

test('full: a new QoS 0 message is dropped and counted, queued messages stay', t => {
  const { queue, outcomes, done } = setup({ maxMessages: 2 })
  queue.enqueue(msg('a', 0), done('a'))
  queue.enqueue(msg('b', 1), done('b'))
  t.false(queue.enqueue(msg('c', 0), done('c')))
  t.true(outcomes.get('c') instanceof QueueFullError)
  t.like(queue.stats, { droppedQos0: 1, refused: 0 })
  t.deepEqual(drain(queue), ['a', 'b'])
})

test('full: a new QoS 1/2 message evicts queued QoS 0 messages, oldest first, before it is refused', t => {
  const { queue, outcomes, done } = setup({ maxMessages: 3 })
  queue.enqueue(msg('zero-1', 0), done('zero-1'))
  queue.enqueue(msg('one', 1), done('one'))
  queue.enqueue(msg('zero-2', 0), done('zero-2'))
  t.true(queue.enqueue(msg('two', 2), done('two')))
  t.true(outcomes.get('zero-1') instanceof QueueFullError)
  t.false(outcomes.has('zero-2'))
  t.true(queue.enqueue(msg('three', 1), done('three')))
  t.true(outcomes.get('zero-2') instanceof QueueFullError)
  t.false(queue.enqueue(msg('four', 1), done('four')))
  t.like(queue.stats, { droppedQos0: 2, refused: 1, queued: 3 })
  t.deepEqual(drain(queue), ['one', 'two', 'three'])
})

test('no eviction when evicting every QoS 0 message would still not make room', t => {
  const { queue, outcomes, done } = setup({ maxBytes: 10 })
  queue.enqueue(msg('z', 0, 1), done('z'))
  queue.enqueue(msg('o', 1, 5), done('o'))
  t.false(queue.enqueue(msg('big', 1, 7), done('big')))
  t.false(outcomes.has('z'))
  t.deepEqual(drain(queue), ['z', 'o'])
})

test('v5 [MQTT-3.3.2-5] an expired message is dropped on dequeue and counted; its done gets MessageExpiredError', t => {
  const { queue, clock, outcomes, done } = setup()
  queue.enqueue(msg('short', 1, 0, 2), done('short'))
  queue.enqueue(msg('none', 1), done('none'))
  clock.advance(2000)
  t.is(queue.dequeue(true)?.message.topic, 'none')
  t.true(outcomes.get('short') instanceof MessageExpiredError)
  t.is(queue.stats.expired, 1)
})

test('v5 [MQTT-3.3.2-6] a live message leaves with its expiry interval reduced by the whole seconds it waited', t => {
  const { queue, clock } = setup()
  queue.enqueue(msg('m', 1, 0, 10), undefined)
  queue.enqueue(msg('n', 1, 0, 10), undefined)
  clock.advance(3999)
  const first = queue.dequeue(true)
  t.is(first?.message.properties?.messageExpiryInterval, 7)
  t.is(first?.message.properties?.contentType, 'x')
  clock.advance(1)
  t.is(queue.dequeue(true)?.message.properties?.messageExpiryInterval, 6)
  t.is(queue.stats.expired, 0)
})

test('a message waiting exactly its interval has expired (no 0-second lifetime is forwarded)', t => {
  const { queue, clock } = setup()
  queue.enqueue(msg('m', 1, 0, 1), undefined)
  clock.advance(999)
  t.is(queue.dequeue(true)?.message.properties?.messageExpiryInterval, 1)
  queue.enqueue(msg('n', 1, 0, 1), undefined)
  clock.advance(1000)
  t.is(queue.dequeue(true), undefined)
  t.is(queue.stats.expired, 1)
})

test('expired messages are dropped first to make room when the queue is full', t => {
  const { queue, clock, outcomes, done } = setup({ maxMessages: 2 })
  queue.enqueue(msg('old', 1, 0, 1), done('old'))
  queue.enqueue(msg('keep', 1), done('keep'))
  clock.advance(1000)
  t.true(queue.enqueue(msg('new', 1), done('new')))
  t.true(outcomes.get('old') instanceof MessageExpiredError)
  t.like(queue.stats, { expired: 1, refused: 0 })
  t.deepEqual(drain(queue), ['keep', 'new'])
})

test('clear settles every entry with the given error and reports how many', t => {
  const { queue, outcomes, done } = setup()
  queue.enqueue(msg('a', 1), done('a'))
  queue.enqueue(msg('b', 0), done('b'))
  const error = new Error('gone')
  t.is(queue.clear(error), 2)
  t.is(outcomes.get('a'), error)
  t.is(outcomes.get('b'), error)
  t.is(queue.length, 0)
})

test('a done callback that publishes again sees a consistent queue', t => {
  const clock = new ManualClock(0)
  const queue: PendingQueue = new PendingQueue({
    clock,
    maxMessages: 1,
    settle: (done, error) => { done(error) }
  })
  queue.enqueue(msg('z', 0), () => { queue.enqueue(msg('retry', 0), undefined) })
  t.true(queue.enqueue(msg('q1', 1), undefined))
  // The evicted QoS 0's callback ran after q1 was added: its retry found the queue full.
  t.is(queue.length, 1)
  t.deepEqual(drain(queue), ['q1'])
  t.is(queue.stats.droppedQos0, 2)
})

test('long FIFO runs stay in order across internal compaction', t => {
  const { queue } = setup({ maxMessages: 5000 })
  const seen: string[] = []
  for (let i = 0; i < 4000; i++) {
    queue.enqueue(msg(`m${i}`, 1), undefined)
    if (i % 3 === 2) seen.push(queue.dequeue(true)?.message.topic ?? 'none')
  }
  seen.push(...drain(queue))
  t.deepEqual(seen, Array.from({ length: 4000 }, (_, i) => `m${i}`))
})

test('expired messages anywhere before the taken one are dropped once each, QoS 1/2 ones included', t => {
  const { queue, clock, outcomes, done } = setup()
  queue.enqueue(msg('e1', 1, 0, 1), done('e1'))
  queue.enqueue(msg('held', 2), done('held'))
  queue.enqueue(msg('e2', 0, 0, 1), done('e2'))
  queue.enqueue(msg('zero', 0), done('zero'))
  clock.advance(1000)
  t.is(queue.dequeue(false)?.message.topic, 'zero')
  t.true(outcomes.get('e1') instanceof MessageExpiredError)
  t.true(outcomes.get('e2') instanceof MessageExpiredError)
  t.like(queue.stats, { expired: 2, queued: 1, bytes: 'held'.length })
  t.deepEqual(drain(queue), ['held'])
})
