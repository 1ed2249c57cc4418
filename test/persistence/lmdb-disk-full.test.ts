/**
 * A full disk (a 3 MiB tmpfs): writes fail with a StorageError, nothing is acknowledged, the
 * process does not crash (no unhandled rejection from inside lmdb), and the broker keeps serving.
 * Needs root to mount the tmpfs (CI runs as root); skipped otherwise, with the reason.
 */
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageError } from '../../lib/core/errors.js'
import { openLmdbBackend } from '../../lib/persistence/lmdb.js'

const isRoot = process.getuid?.() === 0
const run = isRoot ? test.serial : test.skip

async function withFullDisk (body: (dir: string) => Promise<void>): Promise<void> {
  const mountPoint = mkdtempSync(join(tmpdir(), 'qosmos-full-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mountPoint])
  try {
    await body(join(mountPoint, 'data'))
  } finally {
    execFileSync('umount', ['-l', mountPoint])
    rmSync(mountPoint, { recursive: true, force: true })
  }
}

const big = (i: number): { message: { topic: string, payload: Buffer, qos: 1, retain: true }, receivedAt: number } =>
  ({ message: { topic: `fill/${i}`, payload: Buffer.alloc(1500, 1), qos: 1, retain: true }, receivedAt: 1 })

run(isRoot ? 'disk full: the write fails with a StorageError naming the I/O error, and the store keeps working for what fits' : 'disk full (skipped: mounting a tmpfs needs root)', async t => {
  await withFullDisk(async path => {
    const store = await openLmdbBackend({ path })
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
