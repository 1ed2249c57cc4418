/**
 * The store's free-space guard (lib/persistence/disk-space.ts), on a simulated file system: what
 * it admits, when it looks at the disk, and what a refusal says.
 */
import test from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageError, StorageFullError } from '../../lib/core/errors.js'
import { DEFAULT_MIN_FREE_BYTES, DiskSpaceGuard, freeBytes, REFRESH_MS } from '../../lib/persistence/disk-space.js'

const MiB = 1024 * 1024

/** A guard on a disk whose free space the test sets, with a clock the test moves. */
function simulated (minFreeBytes: number, free: number): { guard: DiskSpaceGuard, disk: { free: number, looks: number }, clock: { now: number } } {
  const disk = { free, looks: 0 }
  const clock = { now: 1000 }
  const guard = new DiskSpaceGuard({ path: '/data', minFreeBytes, free: () => { disk.looks++; return disk.free }, now: () => clock.now })
  return { guard, disk, clock }
}

test('a write that leaves the reserve free is admitted; one that would not is refused with a StorageFullError (v5 reason 0x97) naming the disk and the reserve', t => {
  const { guard } = simulated(10 * MiB, 11 * MiB)
  t.notThrows(() => { guard.admit(100_000) })
  const error = t.throws(() => { guard.admit(MiB) }, { instanceOf: StorageFullError })
  t.true(error instanceof StorageError, 'a StorageFullError is a StorageError: the broker handles it as a failed write')
  t.is(error?.reasonCode, 0x97)
  t.is(error?.code, 'QOSMOS_STORAGE_FULL')
  t.regex(error?.message ?? '', /^the disk holding \/data is nearly full: \d+ bytes free, and the store keeps 10485760 free \(minFreeBytes\); a write of about 1048576 bytes is refused$/)
})

test('the disk is looked at once per REFRESH_MS while there is room, and the writes admitted in between are counted against what it had free', t => {
  const { guard, disk, clock } = simulated(MiB, 2 * MiB)
  guard.admit(1000)
  guard.admit(1000)
  guard.admit(1000)
  t.is(disk.looks, 1, 'three small writes in one moment: one statfs')
  // Between looks each write counts as twice its size and a page (LMDB copy-on-write): four
  // writes of 100 KiB fit in the 1 MiB margin, the fifth would not, so the guard looks again.
  for (let i = 0; i < 4; i++) guard.admit(100 * 1024)
  t.is(disk.looks, 1)
  disk.free = MiB + 100 * 1024 // the writes did fill the disk
  t.throws(() => { guard.admit(100 * 1024) }, { instanceOf: StorageFullError })
  t.is(disk.looks, 2, 'it looked again before REFRESH_MS had passed, as the margin was used up')
  disk.free = 2 * MiB
  clock.now += REFRESH_MS
  guard.admit(10)
  t.is(disk.looks, 3, 'a look older than REFRESH_MS is renewed')
})

test('writes go through again once space is freed: a refusal does not put the guard out of service', t => {
  const { guard, disk } = simulated(MiB, MiB + 1000)
  t.throws(() => { guard.admit(10_000) }, { instanceOf: StorageFullError })
  t.throws(() => { guard.admit(10_000) }, { instanceOf: StorageFullError })
  disk.free = 50 * MiB
  t.notThrows(() => { guard.admit(10_000) }, 'the next write looks again without waiting for REFRESH_MS')
})

test('minFreeBytes 0 turns the guard off: it never looks at the disk', t => {
  const { guard, disk } = simulated(0, 0)
  t.notThrows(() => { guard.admit(10 * MiB) })
  t.is(disk.looks, 0)
})

test('a disk whose free space cannot be read admits nothing, and says why', t => {
  const guard = new DiskSpaceGuard({ path: '/gone', minFreeBytes: MiB, free: () => { throw new Error('ENOENT: no such file or directory') } })
  const error = t.throws(() => { guard.admit(1) }, { instanceOf: StorageFullError })
  t.is(error?.message, 'cannot read the free space of /gone; the write is refused')
  t.regex(String((error?.cause as Error).message), /ENOENT/)
})

test('minFreeBytes must be a whole number of bytes, 0 or more', t => {
  for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => new DiskSpaceGuard({ path: '/data', minFreeBytes: bad }), { instanceOf: RangeError }, String(bad))
  }
})

test('freeBytes reads the real file system (statfs), and a real guard with the default reserve admits a small write where there is room', t => {
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-free-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const free = freeBytes(dir)
  t.true(Number.isSafeInteger(free) && free > 0, String(free))
  const guard = new DiskSpaceGuard({ path: dir, minFreeBytes: DEFAULT_MIN_FREE_BYTES })
  if (free > DEFAULT_MIN_FREE_BYTES + MiB) t.notThrows(() => { guard.admit(1000) })
  else t.throws(() => { guard.admit(1000) }, { instanceOf: StorageFullError })
})
