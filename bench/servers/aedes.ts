/** aedes 1.x, in-memory (its default persistence and mqemitter), on a plain TCP server. */
import { createServer } from 'node:net'
import { Aedes } from 'aedes'
import { serve } from './serve.js'

await serve('aedes', async (port) => {
  const broker = await Aedes.createBroker()
  const server = createServer(broker.handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return {
    port: address.port,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()))
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
})
