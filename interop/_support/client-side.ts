/**
 * The qosmos client (lib/client) as the peer of an interop test against a third-party broker:
 * connected with reconnecting off and ended (forcibly) in teardown, and an inbox that records
 * every 'message' event so a test can count deliveries.
 */
import { connect, type Client, type ClientOptions, type Message } from '../../lib/client/index.js'
import type { Version } from './matrix.js'
import type { Scope } from './peer.js'

export async function qosmosClient (scope: Scope, port: number, version: Version, options: ClientOptions = {}): Promise<Client> {
  const client = await connect(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: version,
    reconnect: false,
    connectTimeout: 10000,
    keepAlive: 30,
    ...options
  })
  scope.defer(() => client.end({ force: true }))
  return client
}

export interface Inbox {
  /** Every message the client emitted, in order. */
  readonly messages: readonly Message[]
  /** Resolves once `n` messages arrived; rejects after `ms`. */
  waitFor: (n: number, ms?: number) => Promise<readonly Message[]>
}

export function inbox (client: Client): Inbox {
  const messages: Message[] = []
  const waiters = new Set<() => void>()
  client.on('message', (_topic, _payload, message) => {
    messages.push(message)
    for (const w of [...waiters]) w()
  })
  return {
    messages,
    waitFor (n, ms = 10000) {
      return new Promise((resolve, reject) => {
        const onWake = (): void => {
          if (messages.length >= n) { clearTimeout(timer); waiters.delete(onWake); resolve(messages) }
        }
        const timer = setTimeout(() => {
          waiters.delete(onWake)
          reject(new Error(`${messages.length} of ${n} messages within ${ms} ms: ${JSON.stringify(messages.map(m => [m.topic, m.payload.toString(), m.qos]))}`))
        }, ms)
        waiters.add(onWake)
        onWake()
      })
    }
  }
}

/** The first `n` messages of an async iterable (a Subscription), or a rejection after `ms`. */
export async function take<T> (iterable: AsyncIterable<T>, n: number, ms = 10000): Promise<T[]> {
  const out: T[] = []
  const iterator = iterable[Symbol.asyncIterator]()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${out.length} of ${n} messages within ${ms} ms`)) }, ms) })
  try {
    while (out.length < n) {
      const r = await Promise.race([iterator.next(), timeout])
      if (r.done === true) break
      out.push(r.value)
    }
  } finally {
    clearTimeout(timer)
  }
  return out
}
