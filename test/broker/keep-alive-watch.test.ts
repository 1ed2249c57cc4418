/**
 * KeepAliveWatch: every connection's keep-alive deadline on one timer. Checked against a
 * reference (each entry's due times computed directly) on a ManualClock.
 */
import test from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import { KeepAliveWatch, type Watched } from '../../lib/broker/keep-alive.js'

class Entry implements Watched {
  keepAliveAt = 0
  keepAliveSlot = -1
  readonly calls: number[] = []
  /** When set, the entry asks to be watched again this many ms after each call. */
  constructor (readonly watch: KeepAliveWatch, readonly again?: number) {}
  keepAliveDue (now: number): void {
    this.calls.push(now)
    if (this.again !== undefined) { this.keepAliveAt = now + this.again; this.watch.watch(this) }
  }
}

test('v3.1.1 [MQTT-3.1.2-24] v5 [MQTT-3.1.2-22] each deadline fires at its exact millisecond, in order, on one timer', (t) => {
  const clock = new ManualClock(0)
  const watch = new KeepAliveWatch(clock)
  const order: number[] = []
  const entries = [500, 100, 300, 100, 900, 200].map((at, i) => {
    const e = new Entry(watch)
    const due = e.keepAliveDue.bind(e)
    e.keepAliveDue = (now) => { order.push(i); due(now) }
    e.keepAliveAt = at
    watch.watch(e)
    return e
  })
  t.is(clock.pendingTimers, 1)
  clock.advance(99)
  t.deepEqual(order, [])
  clock.advance(1)
  t.deepEqual(order.sort(), [1, 3])
  clock.advance(800)
  t.deepEqual(order, [1, 3, 5, 2, 0, 4])
  for (const e of entries) t.deepEqual(e.calls, [e.keepAliveAt])
  t.is(watch.size, 0)
  t.is(clock.pendingTimers, 0)
})

test('an entry unwatched before its deadline is never called; re-watching moves its deadline', (t) => {
  const clock = new ManualClock(0)
  const watch = new KeepAliveWatch(clock)
  const a = new Entry(watch)
  const b = new Entry(watch)
  a.keepAliveAt = 100
  b.keepAliveAt = 200
  watch.watch(a)
  watch.watch(b)
  watch.unwatch(a)
  b.keepAliveAt = 50
  watch.watch(b)
  clock.advance(1000)
  t.deepEqual(a.calls, [])
  t.deepEqual(b.calls, [50])
  t.is(clock.pendingTimers, 0)
})

test('random deadlines, removals and re-filing agree with a direct computation', (t) => {
  const clock = new ManualClock(0)
  const watch = new KeepAliveWatch(clock)
  let seed = 42
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  const entries: Entry[] = []
  const expected = new Map<Entry, number[]>()
  for (let i = 0; i < 300; i++) {
    const e = new Entry(watch, rand(3) === 0 ? 1 + rand(500) : undefined)
    e.keepAliveAt = rand(1000)
    watch.watch(e)
    entries.push(e)
  }
  // Remove a third of them.
  const removed = new Set<Entry>()
  for (const e of entries) if (rand(3) === 0) { watch.unwatch(e); removed.add(e) }
  for (const e of entries) {
    const due: number[] = []
    if (!removed.has(e)) {
      let at = e.keepAliveAt
      while (at <= 3000) { due.push(at); if (e.again === undefined) break; at += e.again }
    }
    expected.set(e, due)
  }
  clock.advance(3000)
  for (const e of entries) t.deepEqual(e.calls, expected.get(e))
})

test('stop forgets every entry and leaves no timer', (t) => {
  const clock = new ManualClock(0)
  const watch = new KeepAliveWatch(clock)
  const e = new Entry(watch)
  e.keepAliveAt = 10
  watch.watch(e)
  watch.stop()
  clock.advance(100)
  t.deepEqual(e.calls, [])
  t.is(e.keepAliveSlot, -1)
  t.is(clock.pendingTimers, 0)
})
