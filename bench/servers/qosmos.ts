/**
 * The qosmos broker with default options (in-memory). Loaded dynamically so this script (and the
 * type check) work before lib/broker/index.ts exists: the harness then reports why it was skipped.
 */
import type { Broker } from '../../lib/broker/api.js'
import type { BrokerOptions } from '../../lib/broker/options.js'
import { serve } from './serve.js'

type CreateBroker = (options?: BrokerOptions) => Broker

async function loadCreateBroker (): Promise<CreateBroker> {
  const modulePath = '../../lib/broker/index.js'
  const loaded: unknown = await import(modulePath)
  const create = (loaded as { createBroker?: unknown }).createBroker
  if (typeof create !== 'function') throw new Error(`${modulePath} does not export createBroker`)
  return create as CreateBroker
}

await serve('qosmos', async (port) => {
  const createBroker = await loadCreateBroker()
  const broker = createBroker()
  const address = await broker.listen({ port, host: '127.0.0.1' })
  return { port: address.port, close: () => broker.close() }
})
