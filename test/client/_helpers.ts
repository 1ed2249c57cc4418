/** Shared setup for client tests: a qosmos broker on loopback, clients closed at teardown. */
import type { ExecutionContext } from 'ava'
import { createBroker } from '../../lib/broker/index.js'
import type { BrokerOptions } from '../../lib/broker/options.js'
import { connect, type Client, type ClientEventMap, type ClientOptions } from '../../lib/client/index.js'

export interface Harness {
  readonly url: string
  readonly port: number
  readonly broker: ReturnType<typeof createBroker>
  client: (options?: ClientOptions) => Promise<Client>
}

export async function withBroker (t: ExecutionContext, options: BrokerOptions = {}): Promise<Harness> {
  const broker = createBroker(options)
  const { port } = await broker.listen({ port: 0, host: '127.0.0.1' })
  const clients: Client[] = []
  t.teardown(async () => {
    for (const c of clients) await c.end({ force: true }).catch(() => {})
    await broker.close()
  })
  const url = `mqtt://127.0.0.1:${port}`
  return {
    url,
    port,
    broker,
    client: async (opts = {}) => {
      const c = await connect(url, { reconnect: false, ...opts })
      clients.push(c)
      return c
    }
  }
}

/** Resolves with the first `n` values the iterator yields. */
export async function take<T> (iterable: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = []
  if (n === 0) return out
  for await (const value of iterable) {
    out.push(value)
    if (out.length >= n) break
  }
  return out
}

/** Rejects after `ms` (a guard against hanging, never a timing assertion). */
export async function within<T> (promise: Promise<T>, ms = 5000, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not complete within ${ms} ms`)), ms) })
  try { return await Promise.race([promise, timeout]) } finally { clearTimeout(timer) }
}

/** An emitter of the events in `M`, as seen by `once`. */
interface EmitterOf<M extends { [K in keyof M]: unknown[] }> {
  once<K extends keyof M> (event: K, listener: (...args: M[K]) => void): unknown
}

/** Resolves with the arguments of the client's next `event`. */
export function once<K extends keyof ClientEventMap> (client: EmitterOf<ClientEventMap>, event: K): Promise<ClientEventMap[K]> {
  return new Promise(resolve => { client.once(event, (...args) => resolve(args)) })
}
