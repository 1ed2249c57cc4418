/**
 * A full disk (a 3 MiB tmpfs). With the free-space reserve off (minFreeBytes 0), the disk really
 * fills: writes fail with a StorageError, nothing is acknowledged, the process does not crash (no
 * unhandled rejection from inside lmdb), and the broker keeps serving. With the reserve on, the
 * store refuses writes before the disk is full, so even messages larger than an LMDB page (whose
 * failed commit corrupts lmdb's heap) cannot crash the broker, and writes resume once space is
 * freed. Needs root to mount the tmpfs (CI runs as root); skipped otherwise, with the reason.
 */
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageError, StorageFullError } from '../../lib/core/errors.js'
import { openLmdbBackend } from '../../lib/persistence/lmdb.js'

const isRoot = process.getuid?.() === 0
const run = isRoot ? test.serial : test.skip

async function withFullDisk (body: (dir: string, mountPoint: string) => Promise<void>): Promise<void> {
  const mountPoint = mkdtempSync(join(tmpdir(), 'qosmos-full-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mountPoint])
  try {
    await body(join(mountPoint, 'data'), mountPoint)
  } finally {
    execFileSync('umount', ['-l', mountPoint])
    rmSync(mountPoint, { recursive: true, force: true })
  }
}

const big = (i: number): { message: { topic: string, payload: Buffer, qos: 1, retain: true }, receivedAt: number } =>
  ({ message: { topic: `fill/${i}`, payload: Buffer.alloc(1500, 1), qos: 1, retain: true }, receivedAt: 1 })

run(isRoot ? 'disk full: the write fails with a StorageError naming the I/O error, and the store keeps working for what fits' : 'disk full (skipped: mounting a tmpfs needs root)', async t => {
  await withFullDisk(async path => {
    const store = await openLmdbBackend({ path, minFreeBytes: 0 })
    let failure: unknown
    for (let i = 0; i < 10000 && failure === undefined; i++) {
      await store.retainedChanged(`fill/${i}`, big(i)).catch((e: unknown) => { failure = e })
    }
    t.true(failure instanceof StorageError, String(failure))
    t.regex((failure as Error).message, /a store write failed/)
    await new Promise(resolve => setTimeout(resolve, 100)) // an unobserved rejection would surface here
    await store.close()
  })
})

run(isRoot ? 'disk full under a broker: no PUBACK for what could not be stored, the publisher is disconnected, other clients are served' : 'disk full under a broker (skipped: mounting a tmpfs needs root)', async t => {
  await withFullDisk(async path => {
    const child = spawnSync(process.execPath, ['--import=tsx', join(import.meta.dirname, '_disk-full-broker.ts'), path], { encoding: 'utf8', timeout: 60_000 })
    const line = child.stdout.split('\n').find(l => l.startsWith('{'))
    t.truthy(line, `no result from the broker process: ${child.stderr.slice(-500)}`)
    const result = JSON.parse(line ?? '{}') as { acknowledged: number, refused: boolean, publisherClosed: boolean, bystanderServed: boolean }
    t.true(result.acknowledged > 0, 'messages were acknowledged while they fitted')
    t.true(result.refused, 'the broker stopped acknowledging when the disk was full')
    t.true(result.publisherClosed, 'the publisher whose message could not be stored was disconnected')
    t.true(result.bystanderServed, 'another client kept being served')
  })
})

run(isRoot ? 'a nearly full disk and writes larger than a page: the reserve refuses them with a StorageFullError before lmdb fails, removals still go through, and writes resume once space is freed' : 'a nearly full disk (skipped: mounting a tmpfs needs root)', async t => {
  await withFullDisk(async (path, mountPoint) => {
    const filler = join(mountPoint, 'filler')
    writeFileSync(filler, Buffer.alloc(1024 * 1024, 7))
    const store = await openLmdbBackend({ path, minFreeBytes: 256 * 1024 })
    const payload = Buffer.alloc(8000, 1)
    const put = (i: number): Promise<void> => store.retainedChanged(`big/${i}`, { message: { topic: `big/${i}`, payload, qos: 1, retain: true }, receivedAt: 1 })
    let stored = 0
    let failure: unknown
    while (failure === undefined && stored < 10000) await put(stored).then(() => { stored++ }, (e: unknown) => { failure = e })
    t.true(stored > 10, `${stored} stored before the reserve was reached`)
    t.true(failure instanceof StorageFullError, String(failure))
    t.regex((failure as Error).message, /is nearly full: \d+ bytes free, and the store keeps 262144 free/)
    await t.notThrowsAsync(store.retainedChanged('big/0', undefined), 'a removal goes through on a nearly full disk')
    await t.throwsAsync(put(stored), { instanceOf: StorageFullError }, 'still refused while the disk is as full')
    rmSync(filler)
    await t.notThrowsAsync(put(stored), 'the store stayed in service: once space is freed the write goes through')
    await store.close()
    const reopened = await openLmdbBackend({ path, minFreeBytes: 0 })
    t.is((await reopened.restoreRetained()).length, stored, 'what was acknowledged is there after a restart, less the one removed, plus the one after freeing')
    await reopened.close()
  })
})

run(isRoot ? 'v5 a broker on a nearly full disk, messages larger than a page: what the reserve refuses gets PUBACK 0x97 Quota exceeded, others are served, messages are accepted again once space is freed, and the process does not crash' : 'a broker on a nearly full disk (skipped: mounting a tmpfs needs root)', async t => {
  await withFullDisk(async (path, mountPoint) => {
    const filler = join(mountPoint, 'filler')
    writeFileSync(filler, Buffer.alloc(1024 * 1024, 7))
    const child = spawnSync(process.execPath, ['--import=tsx', join(import.meta.dirname, '_disk-nearly-full-broker.ts'), path, filler], { encoding: 'utf8', timeout: 60_000 })
    t.is(child.status, 0, `the broker process ended with ${String(child.status ?? child.signal)}: ${child.stderr.slice(-500)}`)
    const line = child.stdout.split('\n').find(l => l.startsWith('{'))
    t.truthy(line, `no result from the broker process: ${child.stderr.slice(-500)}`)
    const result = JSON.parse(line ?? '{}') as { acknowledged: number, refusal?: { type: string, reasonCode?: number }, bystanderServed: boolean, acknowledgedAfterFreeing: number, retainedAfterRestart: number, closeError?: string }
    t.true(result.acknowledged > 10, `${result.acknowledged} acknowledged while they fitted`)
    t.deepEqual(result.refusal, { type: 'puback', reasonCode: 0x97 })
    t.true(result.bystanderServed, 'another client kept being served')
    t.is(result.acknowledgedAfterFreeing, 20, 'after the filler was deleted every message was acknowledged again')
    t.is(result.retainedAfterRestart, result.acknowledged + 20, 'every acknowledged retained message is in the store')
    t.is(result.closeError, undefined)
  })
})
