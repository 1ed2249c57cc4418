/**
 * Scenario B: the broker as a child process on a data directory, persistent publishers
 * streaming QoS 1/2 messages to persistent subscribers, and the broker killed with SIGKILL at
 * random moments and started again on the same directory. Publishers resend what their session
 * holds unacknowledged (DUP) after each reconnect. Used by broker-kill.test.ts and scripts/soak.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killBroker, startBrokerProcess, type BrokerProcess } from './broker-process.js'
import type { Verdict } from './ledger.js'
import { Rng } from './rng.js'
import { Traffic } from './traffic.js'

export interface KillRunOptions {
  readonly seed: number
  readonly publishers: number
  readonly subscribers: number
  readonly kills: number
  /** How long the broker streams before each kill, in ms: [min, max]. */
  readonly upMs: readonly [number, number]
  readonly stallMs: number
  readonly capMs: number
  readonly log?: (line: string) => void
}

export interface KillReport {
  readonly seed: number
  readonly kills: number
  readonly verdict: Verdict
  readonly reconnects: number
  readonly sessionsLost: number
  readonly publishFailures: number
  readonly errors: string[]
  readonly wedged: string
  readonly durationMs: number
}

export async function runBrokerKill (o: KillRunOptions): Promise<KillReport> {
  const started = Date.now()
  const rng = new Rng(o.seed)
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-kill-'))
  let broker: BrokerProcess | undefined = await startBrokerProcess(dir)
  let port = broker.port
  const traffic = new Traffic({ rng: rng.fork(), port: () => port, publishers: o.publishers, subscribers: o.subscribers, qos: [1, 2], window: 16, reconnectDelay: [20, 100] })
  let kills = 0
  try {
    await traffic.setUp()
    const publishing = traffic.publishAll(Infinity)
    let failed: unknown
    publishing.catch((error: unknown) => { failed = error })
    for (; kills < o.kills && failed === undefined; kills++) {
      await new Promise(resolve => setTimeout(resolve, rng.int(o.upMs[0], o.upMs[1])))
      await killBroker(broker)
      broker = undefined
      if (kills % 10 === 9) o.log?.(`  ... ${kills + 1} kills, ${traffic.tally.published} published`)
      broker = await startBrokerProcess(dir)
      port = broker.port
    }
    await new Promise(resolve => setTimeout(resolve, o.upMs[0]))
    traffic.stopPublishing()
    let wedged = ''
    const why = await traffic.progress(publishing, o.stallMs, o.capMs)
    if (why !== '') wedged = `publishers: ${why}`
    else {
      // Subscribers still missing acknowledged messages after this are counted as lost.
      await traffic.drained(o.stallMs, o.capMs)
    }
    await new Promise(resolve => setTimeout(resolve, 300))
    const stats = traffic.clientStats()
    return {
      seed: o.seed,
      kills,
      verdict: traffic.ledger.verdict(),
      reconnects: stats.connects - traffic.clients.length,
      sessionsLost: stats.sessionsLost,
      publishFailures: traffic.tally.failed,
      errors: [...stats.protocolErrors, ...stats.sessionErrors, ...traffic.tally.failures],
      wedged,
      durationMs: Date.now() - started
    }
  } finally {
    await traffic.stop()
    if (broker !== undefined) await killBroker(broker, 'SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
}

export function formatKill (r: KillReport): string {
  const v = r.verdict
  return [
    `broker-kill seed ${r.seed}: ${r.kills} SIGKILLs, ${v.published[1] + v.published[2]} messages published (QoS 1/2: ${v.published[1]}/${v.published[2]}), ` +
    `${v.acknowledged[1] + v.acknowledged[2]} acknowledged, ${v.deliveries} deliveries, ${r.reconnects} reconnects, ${Math.round(r.durationMs / 1000)} s`,
    `  lost ${v.lost}, QoS 2 duplicates ${v.duplicatesQos2}, QoS 1 duplicates ${v.duplicatesQos1} (allowed), order violations ${v.orderViolations}, ` +
    `unknown ${v.unknown}, sessions lost ${r.sessionsLost}, publish failures ${r.publishFailures}`,
    ...(r.wedged === '' ? [] : [`  WEDGED: ${r.wedged}`]),
    ...v.problems.map(p => `  ${p}`),
    ...r.errors.slice(0, 10).map(e => `  error: ${e}`)
  ].join('\n')
}
