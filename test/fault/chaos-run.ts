/**
 * Scenario A: an in-process broker on the durable store (lmdb in a temp dir), persistent
 * publishers and subscribers talking to it through the chaos proxy, which cuts and delays
 * their connections while messages at QoS 0, 1 and 2 stream. Used by chaos.test.ts (CI size)
 * and scripts/soak.ts (large).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBroker } from '../../lib/broker/index.js'
import { openLmdbBackend } from '../../lib/persistence/lmdb.js'
import { ChaosProxy } from './chaos-proxy.js'
import type { Verdict } from './ledger.js'
import { Rng } from './rng.js'
import { FlowWatch, StoreWatch } from './store-watch.js'
import { Traffic } from './traffic.js'

export interface ChaosRunOptions {
  readonly seed: number
  readonly publishers: number
  readonly subscribers: number
  readonly messagesPerPublisher: number
  readonly window: number
  readonly meanBytesToCut: number
  /** A wedge: no acknowledgement or delivery for this long. */
  readonly stallMs: number
  /** Give up waiting for the publishers (or then the subscribers) after this long. */
  readonly capMs: number
  readonly log?: (line: string) => void
  /** lmdb without the sync at commit (the process never dies in this scenario; only faster). */
  readonly noSync?: boolean
  /** The broker's per-session queue bound (default the broker's, 10,000 messages). */
  readonly maxQueuedMessages?: number
}

export interface ChaosReport {
  readonly seed: number
  readonly verdict: Verdict
  readonly cuts: number
  readonly midPacketCuts: number
  readonly connections: number
  readonly reconnects: number
  readonly sessionsLost: number
  readonly publishFailures: number
  /** Copies the broker refused because a subscriber's pending queue was full (a configured limit, not a fault). */
  readonly queueFullRefused: number
  readonly errors: string[]
  /** Empty when every publisher finished and every subscriber got every acknowledged message. */
  readonly wedged: string
  readonly durationMs: number
}

export async function runChaos (o: ChaosRunOptions): Promise<ChaosReport> {
  const started = Date.now()
  const rng = new Rng(o.seed)
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-chaos-'))
  const store = await openLmdbBackend({ path: dir, noSync: o.noSync === true })
  const watch = new StoreWatch(store)
  const flows = new FlowWatch()
  const errors: string[] = []
  let collecting = true
  const limits = o.maxQueuedMessages === undefined ? {} : { maxQueuedMessages: o.maxQueuedMessages, maxQueuedBytes: 4 * 2 ** 30 }
  const broker = createBroker({ persistence: store, sysInterval: 0, ...limits })
  broker.on('clientError', (client, error) => { if (collecting) errors.push(`broker, ${client?.clientId ?? '?'}: ${error.name} ${error.message}`) })
  let proxy: ChaosProxy | undefined
  let traffic: Traffic | undefined
  try {
    const address = await broker.listen({ port: 0, host: '127.0.0.1' })
    proxy = await ChaosProxy.start({ rng: rng.fork(), upstreamPort: address.port, meanBytesToCut: o.meanBytesToCut })
    const port = proxy.port
    proxy.cutting = false
    traffic = new Traffic({ rng: rng.fork(), port: () => port, publishers: o.publishers, subscribers: o.subscribers, qos: [0, 1, 2], window: o.window })
    await traffic.setUp()
    proxy.cutting = true
    const publishing = traffic.publishAll(o.messagesPerPublisher)
    const progress = setInterval(() => { o.log?.(`  ... ${traffic?.tally.published ?? 0} published, ${proxy?.stats.cuts ?? 0} cuts`) }, 10_000)
    let wedged = ''
    try {
      const why = await traffic.progress(publishing, o.stallMs, o.capMs)
      if (why !== '') wedged = `publishers: ${why}: ${describe(traffic)}`
    } finally { clearInterval(progress) }
    proxy.cutting = false
    if (wedged === '') {
      const why = await traffic.drained(o.stallMs, o.capMs)
      if (why !== '') wedged = `subscribers missing acknowledged messages: ${why}: ${describe(traffic)}`
    }
    if (wedged !== '') {
      o.log?.(`WEDGED: ${wedged}`)
      o.log?.(`store writes stuck: ${watch.stuck().join('; ') || 'none'}`)
      for (const line of proxy.describe()) o.log?.(`proxy ${line}`)
      o.log?.(`broker errors so far: ${errors.join('; ') || 'none'}`)
      for (const c of traffic.clients) {
        const cs = broker.context.registry.get(c.id)
        o.log?.(`${c.id}: client flows [${flows.describe(c.session)}]`)
        o.log?.(`${c.id}: broker side attached=${String(cs?.attached)} connection=${cs?.connection === undefined ? 'none' : cs.connection.closed ? 'closed' : `open (${cs.connection.pendingBytes} bytes unwritten)`} flows [${cs === undefined ? '' : flows.describe(cs)}]`)
      }
    }
    // Time for late duplicates to show.
    await new Promise(resolve => setTimeout(resolve, 300))
    const stats = traffic.clientStats()
    collecting = false
    let queueFullRefused = 0
    for (const cs of broker.context.registry.values()) queueFullRefused += cs.stats.dropped.queueFullRefused
    errors.push(...stats.protocolErrors, ...stats.sessionErrors, ...traffic.tally.failures)
    return {
      seed: o.seed,
      verdict: traffic.ledger.verdict(),
      cuts: proxy.stats.cuts,
      midPacketCuts: proxy.stats.midPacketCuts,
      connections: proxy.stats.connections,
      reconnects: stats.connects - traffic.clients.length,
      sessionsLost: stats.sessionsLost,
      publishFailures: traffic.tally.failed,
      queueFullRefused,
      errors,
      wedged,
      durationMs: Date.now() - started
    }
  } finally {
    await traffic?.stop()
    await proxy?.close()
    flows.stop()
    await broker.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

function describe (traffic: Traffic): string {
  return traffic.clients.map(c => `${c.id} ${c.connected ? 'up' : 'down'} ${JSON.stringify(c.session.stats)}`).join('; ')
}

export function formatChaos (r: ChaosReport): string {
  const v = r.verdict
  return [
    `chaos seed ${r.seed}: ${v.published[0] + v.published[1] + v.published[2]} messages (QoS 0/1/2: ${v.published.join('/')}), ` +
    `${v.deliveries} deliveries, ${r.cuts} cuts (${r.midPacketCuts} mid-packet), ${r.reconnects} reconnects, ${r.connections} proxied connections, ${Math.round(r.durationMs / 1000)} s`,
    `  lost ${v.lost}, QoS 2 duplicates ${v.duplicatesQos2}, QoS 0 duplicates ${v.duplicatesQos0}, QoS 1 duplicates ${v.duplicatesQos1} (allowed), ` +
    `order violations ${v.orderViolations}, unknown ${v.unknown}, sessions lost ${r.sessionsLost}, publish failures ${r.publishFailures}, refused by a full queue ${r.queueFullRefused}`,
    ...(r.wedged === '' ? [] : [`  WEDGED: ${r.wedged}`]),
    ...v.problems.map(p => `  ${p}`),
    ...r.errors.slice(0, 10).map(e => `  error: ${e}`)
  ].join('\n')
}
