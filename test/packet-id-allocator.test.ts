import test from 'ava'
import { toPacketId } from '../lib/core/ids.js'
import { PacketIdAllocator } from '../lib/session/packet-id-allocator.js'
import { PacketIdExhaustedError, PacketIdInUseError } from '../lib/core/errors.js'

test('allocates ids from 1 upward and never returns 0', t => {
  const a = new PacketIdAllocator()
  t.deepEqual([a.allocate(), a.allocate(), a.allocate()], [1, 2, 3])
})

test('never hands out an id still in flight, even after wrapping around', t => {
  const a = new PacketIdAllocator()
  for (let i = 0; i < 65535; i++) a.allocate()
  t.throws(() => a.allocate(), { instanceOf: PacketIdExhaustedError })
  t.true(a.release(7))
  t.true(a.release(3))
  // The cursor continues after 65535 and wraps: 3 comes before 7, each handed out once.
  t.is(a.allocate(), toPacketId(3))
  t.is(a.allocate(), toPacketId(7))
  t.throws(() => a.allocate(), { instanceOf: PacketIdExhaustedError })
})

test('a freed id is reused only after the rest of the id space', t => {
  const a = new PacketIdAllocator()
  const first = a.allocate()
  a.release(first)
  t.not(a.allocate(), first)
})

test('reserve marks restored ids in flight and rejects duplicates', t => {
  const a = new PacketIdAllocator()
  a.reserve(1)
  t.throws(() => a.reserve(1), { instanceOf: PacketIdInUseError })
  t.is(a.allocate(), toPacketId(2))
  t.is(a.size, 2)
  t.false(a.release(9))
  t.throws(() => a.reserve(0), { instanceOf: RangeError })
})

test('v3.1.1 [MQTT-2.3.1-2] v5 [MQTT-2.2.1-4] agrees with a reference model across the switch between its small set and its bitmap, both ways', t => {
  const a = new PacketIdAllocator()
  // Reference: the ids in flight, and the id the next allocation starts looking from.
  const inFlight = new Set<number>()
  let next = 1
  let seed = 7
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  for (let step = 0; step < 20_000; step++) {
    // Phases that grow to several hundred in flight and drain back to none.
    const growing = Math.floor(step / 2_000) % 2 === 0
    if (inFlight.size > 0 && (rand(10) < (growing ? 3 : 8))) {
      const ids = [...inFlight]
      const id = ids[rand(ids.length)] as number
      t.true(a.release(id))
      inFlight.delete(id)
    } else {
      let expected = next
      while (inFlight.has(expected)) expected = expected === 65535 ? 1 : expected + 1
      const id = a.allocate()
      if (id !== expected) { t.is(id, toPacketId(expected), `step ${step}`); return }
      inFlight.add(id)
      next = id === 65535 ? 1 : id + 1
    }
    if (a.size !== inFlight.size) { t.is(a.size, inFlight.size, `step ${step}`); return }
  }
  for (let id = 1; id <= 65535; id += 97) t.is(a.isInFlight(id), inFlight.has(id))
  t.false(a.release(0))
  for (const id of [...inFlight]) t.true(a.release(id))
  t.is(a.size, 0)
})

test('reserve above the small set moves to the bitmap without losing an id', t => {
  const a = new PacketIdAllocator()
  for (let id = 1000; id < 1300; id++) a.reserve(id)
  t.is(a.size, 300)
  for (let id = 1000; id < 1300; id++) t.true(a.isInFlight(id))
  t.throws(() => a.reserve(1299))
  const fresh = a.allocate()
  t.false(fresh >= 1000 && fresh < 1300)
})
