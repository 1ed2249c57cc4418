/**
 * The qosmos broker, in memory by default. With `--store lmdb` it runs on the durable lmdb
 * store (lib/persistence/lmdb.ts, synced commits: a QoS 1/2 PUBLISH is acknowledged after its
 * write is durable) in a fresh temporary directory, removed on exit. Loaded dynamically so this
 * script (and the type check) work before lib/broker/index.ts exists: the harness then reports
 * why it was skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Broker } from '../../lib/broker/api.js'
import type { BrokerOptions } from '../../lib/broker/options.js'
import type { LmdbBackend, LmdbOptions } from '../../lib/persistence/lmdb.js'
import { serve } from './serve.js'

type CreateBroker = (options?: BrokerOptions) => Broker
type OpenLmdb = (options: LmdbOptions) => Promise<LmdbBackend>

async function load<T> (modulePath: string, name: string): Promise<T> {
  const loaded: unknown = await import(modulePath)
  const value = (loaded as Record<string, unknown>)[name]
  if (typeof value !== 'function') throw new Error(`${modulePath} does not export ${name}`)
  return value as T
}

const durable = process.argv.includes('--store') && process.argv[process.argv.indexOf('--store') + 1] === 'lmdb'

await serve(durable ? 'qosmos-lmdb' : 'qosmos', async (port) => {
  const createBroker = await load<CreateBroker>('../../lib/broker/index.js', 'createBroker')
  let store: LmdbBackend | undefined
  let dir: string | undefined
  if (durable) {
    const open = await load<OpenLmdb>('../../lib/persistence/lmdb.js', 'openLmdbBackend')
    dir = mkdtempSync(join(tmpdir(), 'qosmos-bench-lmdb-'))
    store = await open({ path: join(dir, 'data') })
  }
  const broker = createBroker(store === undefined ? {} : { persistence: store })
  const address = await broker.listen({ port, host: '127.0.0.1' })
  return {
    port: address.port,
    close: async () => {
      await broker.close()
      await store?.close()
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    }
  }
})
