/**
 * Medians over rounds, the per-scenario tables with the qosmos/aedes and qosmos/mosquitto ratios,
 * and the JSON file. Each figure's median is taken on its own across the rounds.
 */
import type { BrokerName } from '../options.js'
import type { ScenarioResult, ScenarioSpec } from './types.js'

export interface CaseKey { readonly scenario: ScenarioSpec['scenario'], readonly qos: ScenarioSpec['qos'], readonly level: ScenarioSpec['level'] }

/** What one broker did in one case: every round's result, or why there is none. */
export interface Cell {
  readonly broker: BrokerName
  readonly runs: ScenarioResult[]
  readonly errors: string[]
  /** Set when the broker does not take part (no MQTT 5.0, not installed, failed to start). */
  skipped?: string
}

export interface CaseReport { readonly key: CaseKey, readonly title: string, readonly cells: Cell[] }

export function caseTitle (key: CaseKey, spec: Pick<ScenarioSpec, 'publishers' | 'subscribers' | 'window' | 'durationMs' | 'rate' | 'connections' | 'retained' | 'payloadBytes'>): string {
  const mqtt = key.level === 5 ? 'MQTT 5.0' : 'MQTT 3.1.1'
  const seconds = `${spec.durationMs / 1000} s`
  switch (key.scenario) {
    case 'fanin': return `fan-in QoS ${key.qos}, ${mqtt}: ${spec.publishers} publishers -> 1 subscriber, window ${spec.window}, ${spec.payloadBytes} B, ${seconds}`
    case 'fanout': return `fan-out QoS ${key.qos}, ${mqtt}: 1 publisher -> ${spec.subscribers} subscribers, window ${spec.window}, ${spec.payloadBytes} B, ${seconds}`
    case 'latency': return `latency QoS ${key.qos}, ${mqtt}: 1 -> 1 at ${spec.rate} msg/s, ${spec.payloadBytes} B, ${seconds}`
    case 'idle': return `idle connections, ${mqtt}: ${spec.connections} clients, keep alive 60 s`
    case 'retained': return `retained, ${mqtt}: ${spec.retained} retained messages -> 1 new wildcard subscriber (QoS ${key.qos})`
  }
}

function median (values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (finite.length === 0) return Number.NaN
  const mid = finite.length >> 1
  return finite.length % 2 === 1 ? finite[mid] as number : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2
}

export type Medians = Record<string, number>

/** The median of every numeric figure (nested ones flattened: latency.p99Ms, idle.kibPerConnection, ...). */
export function medians (runs: readonly ScenarioResult[]): Medians | undefined {
  if (runs.length === 0) return undefined
  const columns = new Map<string, number[]>()
  const add = (prefix: string, record: object): void => {
    for (const [key, value] of Object.entries(record)) {
      if (typeof value === 'number') columns.set(prefix + key, [...(columns.get(prefix + key) ?? []), value])
      else if (typeof value === 'object' && value !== null && !Array.isArray(value)) add(`${prefix}${key}.`, value as object)
    }
  }
  for (const run of runs) add('', run)
  return Object.fromEntries([...columns].map(([key, values]) => [key, median(values)]))
}

function fmt (value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '-'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

interface Column { readonly head: string, readonly figure: string, readonly digits: number }

const COLUMNS: Record<ScenarioSpec['scenario'], Column[]> = {
  fanin: throughputColumns(),
  fanout: throughputColumns(),
  latency: [
    { head: 'msg/s', figure: 'deliveredPerSec', digits: 0 }, { head: 'p50 ms', figure: 'latency.p50Ms', digits: 2 },
    { head: 'p90 ms', figure: 'latency.p90Ms', digits: 2 }, { head: 'p99 ms', figure: 'latency.p99Ms', digits: 2 },
    { head: 'p99.9 ms', figure: 'latency.p999Ms', digits: 2 }, { head: 'max ms', figure: 'latency.maxMs', digits: 2 },
    { head: 'cpu µs/msg', figure: 'brokerCpuUsPerDelivery', digits: 1 }, { head: 'of it sys', figure: 'brokerSysUsPerDelivery', digits: 1 },
    { head: 'broker cpu%', figure: 'brokerCpuPercent', digits: 0 },
    { head: 'load cpu%', figure: 'loadCpuPercent', digits: 0 }, { head: 'lost', figure: 'lost', digits: 0 }, { head: 'dup', figure: 'duplicated', digits: 0 }
  ],
  idle: [
    { head: 'conns', figure: 'idle.connections', digits: 0 }, { head: 'KiB/conn', figure: 'idle.kibPerConnection', digits: 1 },
    { head: 'N->2N KiB/conn', figure: 'idle.secondBatchKibPerConnection', digits: 1 },
    { head: '2N->3N KiB/conn', figure: 'idle.marginalKibPerConnection', digits: 1 },
    { head: 'RSS before MiB', figure: 'idle.rssBeforeKiB', digits: 1 }, { head: 'RSS after MiB', figure: 'idle.rssAfterKiB', digits: 1 },
    { head: 'conn/s', figure: 'idle.connectsPerSec', digits: 0 }, { head: 'cpu µs/conn', figure: 'idle.brokerCpuUsPerConnection', digits: 1 },
    { head: 'load cpu%', figure: 'loadCpuPercent', digits: 0 }
  ],
  retained: [
    { head: 'time to all ms', figure: 'retained.timeToAllMs', digits: 1 }, { head: 'msg/s', figure: 'deliveredPerSec', digits: 0 },
    { head: 'cpu µs/msg', figure: 'brokerCpuUsPerDelivery', digits: 1 }, { head: 'broker cpu%', figure: 'brokerCpuPercent', digits: 0 },
    { head: 'load cpu%', figure: 'loadCpuPercent', digits: 0 }, { head: 'lost', figure: 'lost', digits: 0 }, { head: 'dup', figure: 'duplicated', digits: 0 }
  ]
}

function throughputColumns (): Column[] {
  return [
    { head: 'msg/s', figure: 'deliveredPerSec', digits: 0 }, { head: 'cpu µs/msg', figure: 'brokerCpuUsPerDelivery', digits: 1 },
    { head: 'of it sys', figure: 'brokerSysUsPerDelivery', digits: 1 },
    { head: 'broker cpu%', figure: 'brokerCpuPercent', digits: 0 }, { head: 'load cpu%', figure: 'loadCpuPercent', digits: 0 },
    { head: 'lost', figure: 'lost', digits: 0 }, { head: 'dup', figure: 'duplicated', digits: 0 }
  ]
}

/** The figures compared as qosmos/other, with which direction is better. */
const RATIOS: Record<ScenarioSpec['scenario'], Array<{ label: string, figure: string }>> = {
  fanin: [{ label: 'msg/s', figure: 'deliveredPerSec' }, { label: 'cpu/msg', figure: 'brokerCpuUsPerDelivery' }],
  fanout: [{ label: 'msg/s', figure: 'deliveredPerSec' }, { label: 'cpu/msg', figure: 'brokerCpuUsPerDelivery' }],
  latency: [{ label: 'p50', figure: 'latency.p50Ms' }, { label: 'p99', figure: 'latency.p99Ms' }, { label: 'cpu/msg', figure: 'brokerCpuUsPerDelivery' }],
  idle: [{ label: 'KiB/conn', figure: 'idle.kibPerConnection' }, { label: '2N->3N KiB/conn', figure: 'idle.marginalKibPerConnection' }, { label: 'cpu/conn', figure: 'idle.brokerCpuUsPerConnection' }],
  retained: [{ label: 'time to all', figure: 'retained.timeToAllMs' }, { label: 'cpu/msg', figure: 'brokerCpuUsPerDelivery' }]
}

function value (m: Medians | undefined, figure: string): number | undefined {
  const raw = m?.[figure]
  if (raw === undefined) return undefined
  return figure.endsWith('KiB') && !figure.includes('Per') ? raw / 1024 : raw
}

export function ratios (report: CaseReport): Record<string, Record<string, number>> {
  const byBroker = new Map(report.cells.map((cell) => [cell.broker, medians(cell.runs)]))
  const out: Record<string, Record<string, number>> = {}
  // qosmos against everything; the durable store against its baseline and aedes (the durable goal).
  const pairs = [
    ...(['qosmos-lmdb', 'baseline', 'aedes', 'mosquitto', 'floor'] as const).map(other => ['qosmos', other] as const),
    ['qosmos-lmdb', 'baseline-lmdb'] as const,
    ['qosmos-lmdb', 'aedes'] as const
  ]
  for (const [name, other] of pairs) {
    const ours = byBroker.get(name)
    const theirs = byBroker.get(other)
    if (ours === undefined || theirs === undefined) continue
    const entry: Record<string, number> = {}
    for (const { label, figure } of RATIOS[report.key.scenario]) {
      const a = ours[figure]
      const b = theirs[figure]
      if (a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) && b !== 0) entry[label] = a / b
    }
    out[`${name}/${other}`] = entry
  }
  return out
}

export function renderCase (report: CaseReport, rounds: number): string {
  const columns = COLUMNS[report.key.scenario]
  const header = ['broker', ...columns.map((c) => c.head), 'runs']
  const rows: string[][] = []
  const notes: string[] = []
  for (const cell of report.cells) {
    const m = medians(cell.runs)
    if (m === undefined) {
      rows.push([cell.broker, ...columns.map(() => cell.skipped === undefined ? 'error' : 'n/a'), `0/${rounds}`])
      notes.push(`${cell.broker}: ${cell.skipped ?? cell.errors[0] ?? 'no result'}`)
      continue
    }
    rows.push([cell.broker, ...columns.map((c) => fmt(value(m, c.figure), c.digits)), `${cell.runs.length}/${rounds}`])
    const runNotes = [...new Set(cell.runs.flatMap((r) => r.notes)), ...cell.errors.map((e) => `error: ${e}`)]
    for (const note of runNotes.slice(0, 4)) notes.push(`${cell.broker}: ${note}`)
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)).join('  ')
  const lines = [`## ${report.title}`, line(header), ...rows.map(line)]
  for (const [pair, entry] of Object.entries(ratios(report))) {
    const parts = Object.entries(entry).map(([label, r]) => `${label} ${r.toFixed(2)}x`)
    if (parts.length > 0) lines.push(`${pair}: ${parts.join(', ')}`)
  }
  for (const note of notes) lines.push(`  note ${note}`)
  return lines.join('\n')
}
