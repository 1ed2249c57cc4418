/**
 * Regression (found by the chaos run): closing the lmdb store while session steps were still
 * reading and writing crashed the process with lmdb's uncaught "Attempt to reset an invalid
 * read txn" (a read transaction reset on a timer after the environment had closed). Now a call
 * made once close() has begun fails with a StorageError and the close completes cleanly.
 */
import test from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StorageError } from '../../lib/core/errors.js'
import { toPacketId } from '../../lib/core/ids.js'
import { openLmdbBackend } from '../../lib/persistence/lmdb.js'

test('closing the lmdb store while flows are being read and written: late calls reject with StorageError, no uncaught exception', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-lmdb-close-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const late: unknown[] = []
  for (let delay = 0; delay < 12; delay++) {
    const backend = await openLmdbBackend({ path: dir })
    const flows = backend.flowStore('busy')
    let stop = false
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        try { await flows.outboundFlowChanged({ state: 'AwaitingPubcomp', packetId: toPacketId((i % 1000) + 1) }) } catch (e) { late.push(e); stop = true }
      }
    })()
    const reader = (async () => {
      while (!stop) {
        try { await flows.restoreFlows() } catch (e) { late.push(e); stop = true }
        await new Promise(resolve => setImmediate(resolve))
      }
    })()
    await new Promise(resolve => setTimeout(resolve, delay))
    await backend.close()
    await Promise.all([writer, reader])
    // lmdb's read-transaction reset timer has had its turn.
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  t.true(late.length > 0)
  for (const e of late) t.true(e instanceof StorageError, String(e))
})
