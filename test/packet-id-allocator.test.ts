import test from 'ava'
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
  t.is(a.allocate(), 3)
  t.is(a.allocate(), 7)
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
  t.is(a.allocate(), 2)
  t.is(a.size, 2)
  t.false(a.release(9))
  t.throws(() => a.reserve(0), { instanceOf: RangeError })
})
