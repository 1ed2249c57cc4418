import test from 'ava'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { StorageError } from '../../lib/core/errors.js'
import { openLmdbBackend } from '../../lib/persistence/lmdb.js'
import { LOCK_FILE } from '../../lib/persistence/data-dir-lock.js'
import { brokerStoreContract } from './broker-store-contract.js'
import { flowStoreContract } from './flow-store-contract.js'

const dirs: string[] = []
function freshDir (): string {
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-lmdb-'))
  dirs.push(dir)
  return dir
}
test.after.always(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }) })

const paths = new WeakMap<object, string>()
async function make (): Promise<Awaited<ReturnType<typeof openLmdbBackend>>> {
  const path = freshDir()
  const backend = await openLmdbBackend({ path })
  paths.set(backend, path)
  return backend
}

flowStoreContract(test, 'lmdb', make)
brokerStoreContract(test, 'lmdb', {
  make,
  reopen: async (old) => {
    const path = paths.get(old) as string
    await old.close()
    return await openLmdbBackend({ path })
  }
})

test('lmdb: changes return promises that settle when the write is committed', async t => {
  const backend = await make()
  try {
    const pending = backend.sessionSaved({ clientId: 'a', protocolVersion: 4, expiryInterval: 10 })
    t.true(pending instanceof Promise)
    await pending
    t.is((await backend.restoreSessions()).length, 1)
  } finally { await backend.close() }
})

test('lmdb: a second open of a locked data directory is refused with a StorageError naming the owner', async t => {
  const path = freshDir()
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' })
  try {
    // A lock held by another running process.
    writeFileSync(join(path, LOCK_FILE), `${child.pid ?? 0}\n`)
    const error = await t.throwsAsync(openLmdbBackend({ path }), { instanceOf: StorageError })
    t.regex(error?.message ?? '', new RegExp(`in use by process ${child.pid ?? 0}`))
  } finally { child.kill('SIGKILL') }
})

test('lmdb: a stale lock (its process is gone) is taken over', async t => {
  const path = freshDir()
  writeFileSync(join(path, LOCK_FILE), '999999999\n')
  const backend = await openLmdbBackend({ path })
  await backend.close()
  t.pass()
})

test('lmdb: the lock is released on close, so the directory opens again', async t => {
  const path = freshDir()
  await (await openLmdbBackend({ path })).close()
  const again = await openLmdbBackend({ path })
  await again.close()
  t.pass()
})

test('lmdb: a directory holding other files is refused, not overwritten', async t => {
  const path = freshDir()
  writeFileSync(join(path, 'notes.txt'), 'mine')
  await t.throwsAsync(openLmdbBackend({ path }), { instanceOf: StorageError, message: /not a qosmos data directory/ })
})

test('lmdb: a corrupted data file is refused with a StorageError', async t => {
  const path = freshDir()
  writeFileSync(join(path, 'data.mdb'), Buffer.alloc(64 * 1024, 0x5a))
  await t.throwsAsync(openLmdbBackend({ path }), { instanceOf: StorageError })
})
