/**
 * The cut-at-every-step scenarios: a client publishes (or receives) one message through a proxy
 * that cuts the first connection at one step of the QoS handshake; the client reconnects, resumes
 * the session, and the flow completes. A marker message sent afterwards on the same topic tells
 * the observer that any resend has arrived, so duplicates are counted without waiting on time.
 */
import type { ExecutionContext } from 'ava'
import { connect, type Client, type ClientOptions } from '../../lib/client/index.js'
import type { QoS } from '../../lib/protocol/packets.js'
import { cuttingProxy, type Cut } from './_proxy.js'
import { withBroker, within } from './_helpers.js'

export function resumable (version: 4 | 5, clientId: string): ClientOptions {
  return {
    protocolVersion: version,
    clientId,
    reconnect: { initialDelay: 5, maxDelay: 50, jitter: 0 },
    ...(version === 5 ? { clean: true, properties: { sessionExpiryInterval: 60 } } : { clean: false })
  }
}

/** Collects payloads of `topic` from `client` until the payload `marker` arrives. */
async function collectUntil (client: Client, topic: string, marker: string): Promise<string[]> {
  const seen: string[] = []
  return await new Promise<string[]>(resolve => {
    client.on('message', (t, payload) => {
      if (t !== topic) return
      const text = payload.toString()
      if (text === marker) resolve(seen)
      else seen.push(text)
    })
  })
}

export interface CutResult {
  /** What the application on the receiving side got (marker excluded). */
  readonly delivered: readonly string[]
  readonly cut: boolean
  readonly connections: number
  readonly seen: { readonly up: readonly string[], readonly down: readonly string[] }
}

/** The client behind the proxy publishes at `qos`; a direct subscriber observes. */
export async function publisherCut (t: ExecutionContext, version: 4 | 5, qos: QoS, cut: Cut): Promise<CutResult> {
  const h = await withBroker(t)
  const proxy = await cuttingProxy(t, h.port, cut)
  const watcher = await h.client({ protocolVersion: version })
  await watcher.subscribe('cut/pub', { qos: 2 })
  const collected = collectUntil(watcher, 'cut/pub', 'marker')
  const client = await connect(proxy.url, resumable(version, `pub-${version}-${qos}-${cut.direction}-${cut.drop}`))
  t.teardown(async () => { await client.end({ force: true }) })
  await within(client.publish('cut/pub', 'the message', { qos }), 8000, 'publish across the cut')
  await within(client.publish('cut/pub', 'marker', { qos }), 8000, 'marker')
  return { delivered: await within(collected, 8000, 'marker delivery'), cut: proxy.cut, connections: proxy.connections, seen: proxy.seen }
}

/** The client behind the proxy subscribes at QoS 2 and receives one message published at `qos`. */
export async function subscriberCut (t: ExecutionContext, version: 4 | 5, qos: QoS, cut: Cut, options: Partial<ClientOptions> = {}): Promise<CutResult> {
  const h = await withBroker(t)
  const proxy = await cuttingProxy(t, h.port, cut)
  const publisher = await h.client({ protocolVersion: version })
  const client = await connect(proxy.url, { ...resumable(version, `sub-${version}-${qos}-${cut.direction}-${cut.drop}`), ...options })
  t.teardown(async () => { await client.end({ force: true }) })
  const iterate = options.acknowledge === 'after-processing'
  const listened = iterate ? undefined : collectUntil(client, 'cut/sub', 'marker')
  const subscription = await client.subscribe('cut/sub', { qos: 2 })
  // Acknowledging after processing: consumed through the iterator, one slow step per message.
  const collected = listened ?? (async () => {
    const seen: string[] = []
    for await (const m of subscription) {
      await new Promise(resolve => setTimeout(resolve, 5))
      if (m.payload.toString() === 'marker') break
      seen.push(m.payload.toString())
    }
    return seen
  })()
  await publisher.publish('cut/sub', 'the message', { qos })
  // The marker goes out once the client is back (a resend, if any, precedes it in the session).
  await within(new Promise<void>(resolve => {
    const check = (): void => { if (proxy.cut && client.connected) resolve(); else setTimeout(check, 5) }
    check()
  }), 8000, 'the cut and the reconnect')
  await publisher.publish('cut/sub', 'marker', { qos })
  return { delivered: await within(collected, 8000, 'marker delivery'), cut: proxy.cut, connections: proxy.connections, seen: proxy.seen }
}
