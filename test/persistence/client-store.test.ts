import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { openLmdbClientStore } from '../../lib/persistence/client-lmdb.js'
import { memoryClientStore } from '../../lib/persistence/client-memory.js'
import { clientStoreContract } from './client-store-contract.js'

clientStoreContract(test, 'client memory', { make: () => memoryClientStore() })

const dirs: string[] = []
test.after.always(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }) })
const pathOf = new WeakMap<object, string>()
clientStoreContract(test, 'client lmdb', {
  make: async () => {
    const path = mkdtempSync(join(tmpdir(), 'qosmos-client-store-'))
    dirs.push(path)
    const store = await openLmdbClientStore({ path, clientId: 'c1' })
    pathOf.set(store, path)
    return store
  },
  reopen: async (old) => await openLmdbClientStore({ path: pathOf.get(old) as string, clientId: 'c1' })
})

test('client lmdb: two client ids in one directory never see each other\'s data', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-client-store-'))
  dirs.push(dir)
  const a = await openLmdbClientStore({ path: dir, clientId: 'a' })
  await a.inboundFlowStarted({ state: 'AwaitingPubrel', packetId: 1 as never })
  await a.close()
  const b = await openLmdbClientStore({ path: dir, clientId: 'b' })
  try {
    t.deepEqual(await b.restoreFlows(), { outbound: [], inbound: [] })
  } finally { await b.close() }
})
