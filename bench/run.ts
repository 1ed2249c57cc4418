/**
 * `npm run bench`: starts each broker in its own process (qosmos, aedes in memory, mosquitto when
 * installed), drives the same scenarios at all of them from one load process, in interleaved
 * rounds (A B C A B C ...), prints a table per scenario with medians and qosmos/other ratios, and
 * writes everything to bench/results/<timestamp>.json. See BENCHMARKS.md.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { BROKER_NAMES, parseOptions, USAGE, type BenchOptions, type BrokerName } from './options.js'
import { LoadChannel } from './lib/load-channel.js'
import { clockTicksPerSecond, machineInfo } from './lib/proc.js'
import { REPO_ROOT, startBroker, stopAllChildren, type RunningBroker } from './lib/processes.js'
import { caseTitle, medians, ratios, renderCase, type CaseKey, type CaseReport, type Cell } from './lib/report.js'
import type { MqttLevel, ScenarioSpec } from './lib/types.js'

/** What each broker speaks: aedes 1.x has no MQTT 5.0. */
const LEVELS: Record<BrokerName, readonly MqttLevel[]> = { qosmos: [4, 5], 'qosmos-lmdb': [4, 5], baseline: [4, 5], 'baseline-lmdb': [4, 5], aedes: [4], mosquitto: [4, 5], floor: [4, 5] }

function cases (options: BenchOptions): CaseKey[] {
  const out: CaseKey[] = []
  for (const scenario of options.scenarios) {
    const qosList = scenario === 'latency' ? options.latencyQos : scenario === 'idle' || scenario === 'retained' ? [0] as const : options.qos
    for (const qos of qosList) for (const level of options.levels) out.push({ scenario, qos, level })
  }
  return out
}

function specFor (key: CaseKey, options: BenchOptions, broker: RunningBroker): ScenarioSpec {
  return {
    ...key,
    host: '127.0.0.1',
    port: broker.port,
    brokerPid: broker.pid,
    runId: `${broker.name}-${key.scenario}-${randomBytes(4).toString('hex')}`,
    publishers: options.publishers,
    subscribers: options.subscribers,
    window: options.window,
    payloadBytes: options.payloadBytes,
    durationMs: options.durationMs,
    warmupMs: options.warmupMs,
    rate: options.rate,
    connections: options.connections,
    retained: options.retained,
    drainTimeoutMs: options.drainTimeoutMs,
    persistentSessions: options.persistentSessions
  }
}

/** An unmeasured fan-in at QoS 0, 1 and 2 on `broker` (see BenchOptions.warm); failures show in the measured runs. */
async function warmUp (load: LoadChannel, broker: RunningBroker, level: MqttLevel, options: BenchOptions): Promise<void> {
  const warmOptions: BenchOptions = { ...options, durationMs: 1000, warmupMs: 0 }
  for (const qos of [0, 1, 2] as const) {
    const spec = specFor({ scenario: 'fanin', qos, level }, warmOptions, broker)
    try { await load.run(spec, spec.durationMs + spec.drainTimeoutMs * 4 + 120_000) } catch { /* the measured runs report it */ }
  }
}

function summaryLine (broker: BrokerName, key: CaseKey, round: number, text: string): string {
  return `  [round ${round}] ${key.scenario} q${key.qos} ${key.level === 5 ? 'v5' : 'v3.1.1'} ${broker}: ${text}`
}

async function main (): Promise<void> {
  let parsed: BenchOptions | 'help'
  try {
    parsed = parseOptions(process.argv.slice(2))
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err))
    console.error(USAGE)
    process.exitCode = 2
    return
  }
  if (parsed === 'help') { console.log(USAGE); return }
  const options = parsed
  const machine = machineInfo()
  console.log(`qosmos bench: ${machine.cpus} CPUs (${machine.model}), node ${machine.node}, CLK_TCK ${clockTicksPerSecond()}`)
  console.log(`brokers ${options.brokers.join(', ')}; scenarios ${options.scenarios.join(', ')}; ${options.rounds} round(s)${options.quick ? ' (quick)' : ''}${options.persistentSessions ? '; persistent sessions' : ''}`)

  const brokers = new Map<BrokerName, RunningBroker>()
  const unavailable = new Map<BrokerName, string>()
  for (const name of options.brokers) {
    try {
      const broker = await startBroker(name, options)
      brokers.set(name, broker)
      console.log(`  ${name} ${broker.version}: pid ${broker.pid}, port ${broker.port}`)
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      unavailable.set(name, `failed to start: ${reason}`)
      console.log(`  ${name}: SKIPPED, failed to start: ${reason}`)
    }
  }

  const load = new LoadChannel()
  /** `${broker}/${level}` pairs whose current process has had its warm-up. */
  const warmed = new Set<string>()
  const reports: CaseReport[] = []
  const started = Date.now()
  const order = BROKER_NAMES.filter((name) => options.brokers.includes(name))
  for (const key of cases(options)) {
    const title = caseTitle(key, options)
    const cells: Cell[] = order.map((broker) => {
      const reason = unavailable.has(broker) ? 'skipped: failed to start (reason at the top)' : LEVELS[broker].includes(key.level) ? undefined : `n/a: ${broker} has no MQTT 5.0`
      return reason === undefined ? { broker, runs: [], errors: [] } : { broker, runs: [], errors: [], skipped: reason }
    })
    console.log(`\n${title}`)
    for (let round = 1; round <= options.rounds; round++) {
      // Each round starts with the next broker: a broker that always ran first would always run
      // right after the harness's and the load's own work between cases and rounds.
      const shift = (round - 1) % cells.length
      for (const cell of [...cells.slice(shift), ...cells.slice(0, shift)]) {
        if (cell.skipped !== undefined) continue
        let broker = brokers.get(cell.broker)
        if (broker === undefined) continue
        // A dead broker is restarted; the idle case always gets a fresh one, for a clean RSS baseline.
        if (!broker.alive() || key.scenario === 'idle') {
          if (!broker.alive()) console.log(`  ${cell.broker} died (${broker.output().split('\n').slice(-3).join(' | ')}); restarting`)
          try {
            await broker.stop()
            broker = await startBroker(cell.broker, options)
            brokers.set(cell.broker, broker)
            for (const level of [4, 5] as const) warmed.delete(`${cell.broker}/${level}`)
          } catch (err) {
            cell.errors.push(`restart failed: ${err instanceof Error ? err.message : String(err)}`)
            continue
          }
        }
        if (options.warm && key.scenario !== 'idle' && !warmed.has(`${cell.broker}/${key.level}`)) {
          warmed.add(`${cell.broker}/${key.level}`)
          await warmUp(load, broker, key.level, options)
        }
        const spec = specFor(key, options, broker)
        try {
          const result = await load.run(spec, spec.durationMs + spec.drainTimeoutMs * 4 + 120_000)
          cell.runs.push(result)
          const figure = key.scenario === 'idle'
            ? `${result.idle?.connections ?? 0} conns, ${(result.idle?.kibPerConnection ?? Number.NaN).toFixed(1)} KiB/conn`
            : `${Math.round(result.deliveredPerSec).toLocaleString('en-US')} msg/s, ${result.brokerCpuUsPerDelivery.toFixed(1)} µs/msg, load cpu ${Math.round(result.loadCpuPercent)}%, lost ${result.lost}, dup ${result.duplicated}` +
              (result.latency === undefined || key.scenario !== 'latency' ? '' : `, p50 ${result.latency.p50Ms.toFixed(2)} ms, p99 ${result.latency.p99Ms.toFixed(2)} ms`)
          console.log(summaryLine(cell.broker, key, round, figure))
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err)
          cell.errors.push(message)
          console.log(summaryLine(cell.broker, key, round, `ERROR ${message}`))
        }
      }
    }
    reports.push({ key, title, cells })
  }
  await load.close()
  for (const broker of brokers.values()) await broker.stop()

  console.log(`\n# Results (medians of ${options.rounds} round(s); ${((Date.now() - started) / 1000).toFixed(0)} s)\n`)
  for (const [name, reason] of unavailable) console.log(`${name} not measured: ${reason}\n`)
  for (const report of reports) console.log(`${renderCase(report, options.rounds)}\n`)

  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const dir = `${REPO_ROOT}bench/results`
  mkdirSync(dir, { recursive: true })
  const path = `${dir}/${stamp}.json`
  writeFileSync(path, JSON.stringify({
    startedAt: new Date(started).toISOString(),
    machine: { ...machine, clockTicksPerSecond: clockTicksPerSecond() },
    options,
    brokers: Object.fromEntries(order.map((name) => [name, {
      version: brokers.get(name)?.version, skipped: unavailable.get(name), levels: LEVELS[name]
    }])),
    cases: reports.map((report) => ({
      ...report.key,
      title: report.title,
      ratios: ratios(report),
      brokers: Object.fromEntries(report.cells.map((cell) => [cell.broker, {
        skipped: cell.skipped, errors: cell.errors, median: medians(cell.runs), runs: cell.runs
      }]))
    }))
  }, null, 2))
  console.log(`results written to ${path}`)
}

let stopping = false
const shutdown = (signal: string): void => {
  if (stopping) return
  stopping = true
  console.error(`\n${signal}: stopping the brokers and the load process`)
  void stopAllChildren().finally(() => process.exit(130))
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))

try {
  await main()
} catch (err) {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err))
  process.exitCode = 1
} finally {
  await stopAllChildren()
}
