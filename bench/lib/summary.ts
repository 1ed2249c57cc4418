/**
 * Turns a results JSON of `npm run bench` into the Markdown tables of BENCHMARKS.md (medians,
 * qosmos/aedes and qosmos/mosquitto ratios) and checks the goals of issue 7 against it.
 * Run: npx tsx bench/lib/summary.ts bench/results/<file>.json
 */
import { readFileSync } from 'node:fs'

interface Median { readonly [figure: string]: number }
interface BrokerCase { readonly skipped?: string, readonly errors: readonly string[], readonly median?: Median, readonly runs: readonly unknown[] }
interface Case {
  readonly scenario: string
  readonly qos: number
  readonly level: number
  readonly title: string
  readonly brokers: Readonly<Record<string, BrokerCase>>
}
interface Results { readonly startedAt: string, readonly machine: Readonly<Record<string, unknown>>, readonly options: { readonly rounds: number }, readonly cases: readonly Case[] }

/** 'floor' (a bare relay, not a broker) is listed when the run measured it. */
const BROKERS = ['qosmos', 'aedes', 'mosquitto', 'floor'] as const

function fmt (value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '-'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function ratio (a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '-'
  return `${(a / b).toFixed(2)}x`
}

function figure (c: Case, broker: string, name: string): number | undefined {
  return c.brokers[broker]?.median?.[name]
}

const mqtt = (level: number): string => level === 5 ? '5.0' : '3.1.1'

function flowTable (cases: readonly Case[], scenario: 'fanin' | 'fanout'): string[] {
  const lines = [
    '| QoS | MQTT | broker | msg/s | broker CPU µs/msg | broker CPU % | load CPU % | lost | dup | msg/s vs aedes | µs/msg vs aedes | msg/s vs mosquitto | µs/msg vs mosquitto |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
  ]
  for (const c of cases.filter((x) => x.scenario === scenario)) {
    for (const b of BROKERS) {
      const m = c.brokers[b]?.median
      if (m === undefined) continue
      const ours = b === 'qosmos'
      lines.push(`| ${c.qos} | ${mqtt(c.level)} | ${b} | ${fmt(m.deliveredPerSec)} | ${fmt(m.brokerCpuUsPerDelivery, 1)} | ${fmt(m.brokerCpuPercent)} | ${fmt(m.loadCpuPercent)} | ${fmt(m.lost)} | ${fmt(m.duplicated)} | ` +
        (ours ? `${ratio(m.deliveredPerSec, figure(c, 'aedes', 'deliveredPerSec'))} | ${ratio(m.brokerCpuUsPerDelivery, figure(c, 'aedes', 'brokerCpuUsPerDelivery'))} | ${ratio(m.deliveredPerSec, figure(c, 'mosquitto', 'deliveredPerSec'))} | ${ratio(m.brokerCpuUsPerDelivery, figure(c, 'mosquitto', 'brokerCpuUsPerDelivery'))} |` : ' | | | |'))
    }
  }
  return lines
}

function latencyTable (cases: readonly Case[]): string[] {
  const lines = ['| QoS | MQTT | broker | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | broker CPU µs/msg | lost | dup | p99 vs mosquitto |', '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
  for (const c of cases.filter((x) => x.scenario === 'latency')) {
    for (const b of BROKERS) {
      const m = c.brokers[b]?.median
      if (m === undefined) continue
      lines.push(`| ${c.qos} | ${mqtt(c.level)} | ${b} | ${fmt(m['latency.p50Ms'], 2)} | ${fmt(m['latency.p90Ms'], 2)} | ${fmt(m['latency.p99Ms'], 2)} | ${fmt(m['latency.p999Ms'], 2)} | ${fmt(m['latency.maxMs'], 2)} | ${fmt(m.brokerCpuUsPerDelivery, 1)} | ${fmt(m.lost)} | ${fmt(m.duplicated)} | ${b === 'qosmos' ? ratio(m['latency.p99Ms'], figure(c, 'mosquitto', 'latency.p99Ms')) : ''} |`)
    }
  }
  return lines
}

/**
 * KiB per connection of the second and third batches of the idle scenario. Files written before
 * the third batch hold the second batch's figure as marginalKibPerConnection.
 */
function batches (m: Record<string, number | undefined>): { second: number | undefined, third: number | undefined } {
  const second = m['idle.secondBatchKibPerConnection']
  if (second === undefined) return { second: m['idle.marginalKibPerConnection'], third: undefined }
  return { second, third: m['idle.marginalKibPerConnection'] }
}

function idleTable (cases: readonly Case[]): string[] {
  const lines = ['| MQTT | broker | connections | KiB/connection (RSS, from a fresh start) | KiB/connection (RSS, N to 2N) | KiB/connection (RSS, 2N to 3N) | connects/s | broker CPU µs/connect |', '|---|---|---:|---:|---:|---:|---:|---:|']
  for (const c of cases.filter((x) => x.scenario === 'idle')) {
    for (const b of BROKERS) {
      const m = c.brokers[b]?.median
      if (m === undefined) continue
      const { second, third } = batches(m)
      lines.push(`| ${mqtt(c.level)} | ${b} | ${fmt(m['idle.connections'])} | ${fmt(m['idle.kibPerConnection'], 1)} | ${fmt(second, 1)} | ${fmt(third, 1)} | ${fmt(m['idle.connectsPerSec'])} | ${fmt(m['idle.brokerCpuUsPerConnection'])} |`)
    }
  }
  return lines
}

function retainedTable (cases: readonly Case[]): string[] {
  const lines = ['| MQTT | broker | time to all ms | msg/s | broker CPU µs/msg | lost | dup |', '|---|---|---:|---:|---:|---:|---:|']
  for (const c of cases.filter((x) => x.scenario === 'retained')) {
    for (const b of BROKERS) {
      const m = c.brokers[b]?.median
      if (m === undefined) continue
      lines.push(`| ${mqtt(c.level)} | ${b} | ${fmt(m['retained.timeToAllMs'], 1)} | ${fmt(m.deliveredPerSec)} | ${fmt(m.brokerCpuUsPerDelivery, 1)} | ${fmt(m.lost)} | ${fmt(m.duplicated)} |`)
    }
  }
  return lines
}

/**
 * The goals of issue 7, each judged on this run's medians, for qosmos or, to see whether a goal is
 * reachable in Node at all, for the floor relay.
 */
function goals (cases: readonly Case[], who: 'qosmos' | 'floor' = 'qosmos'): string[] {
  const lines = ['| goal | measured | met |', '|---|---|---|']
  const flows = cases.filter((c) => c.scenario !== 'idle' && c.level === 4)
  for (const c of flows) {
    const ours = figure(c, who, 'brokerCpuUsPerDelivery')
    const theirs = figure(c, 'aedes', 'brokerCpuUsPerDelivery')
    if (ours === undefined || theirs === undefined) continue
    lines.push(`| ${c.scenario} QoS ${c.qos} (3.1.1): broker CPU per delivery <= 0.5x aedes | ${fmt(ours, 1)} vs ${fmt(theirs, 1)} µs = ${(ours / theirs).toFixed(2)}x | ${ours <= theirs / 2 ? 'yes' : 'no'} |`)
  }
  for (const c of cases.filter((x) => x.scenario === 'fanin' && x.level === 4)) {
    const ours = figure(c, who, 'deliveredPerSec')
    const theirs = figure(c, 'aedes', 'deliveredPerSec')
    if (ours === undefined || theirs === undefined) continue
    lines.push(`| fan-in QoS ${c.qos} (3.1.1): msg/s >= 1.5x aedes | ${fmt(ours)} vs ${fmt(theirs)} = ${(ours / theirs).toFixed(2)}x | ${ours >= theirs * 1.5 ? 'yes' : 'no'} |`)
  }
  for (const c of cases.filter((x) => x.scenario === 'latency')) {
    const ours = figure(c, who, 'latency.p99Ms')
    const theirs = figure(c, 'mosquitto', 'latency.p99Ms')
    if (ours === undefined || theirs === undefined) continue
    lines.push(`| latency QoS ${c.qos} (${mqtt(c.level)}): p99 <= mosquitto's | ${fmt(ours, 2)} vs ${fmt(theirs, 2)} ms | ${ours <= theirs ? 'yes' : 'no'} |`)
  }
  for (const c of cases.filter((x) => x.scenario === 'idle')) {
    const ours = figure(c, who, 'idle.kibPerConnection')
    if (ours === undefined) continue
    lines.push(`| idle (${mqtt(c.level)}): <= 2 KiB per connection, from a fresh start | ${fmt(ours, 1)} KiB | ${ours <= 2 ? 'yes' : 'no'} |`)
    const m = c.brokers[who]?.median
    if (m === undefined) continue
    const { second, third } = batches(m)
    const [span, next] = third === undefined ? ['N to 2N', second] : ['2N to 3N', third]
    if (next !== undefined && Number.isFinite(next)) lines.push(`| idle (${mqtt(c.level)}): <= 2 KiB per connection, ${span} | ${fmt(next, 1)} KiB | ${next <= 2 ? 'yes' : 'no'} |`)
  }
  return lines
}

const path = process.argv[2]
if (path === undefined) {
  console.error('usage: npx tsx bench/lib/summary.ts RESULTS.json')
  process.exitCode = 2
} else {
  const results = JSON.parse(readFileSync(path, 'utf8')) as Results
  const out = [
    `Run of ${results.startedAt}, ${results.options.rounds} interleaved round(s), medians. Machine: ${JSON.stringify(results.machine)}`,
    '', '### Fan-in (4 publishers -> 1 subscriber) and fan-out (1 -> 50)', '', '#### Fan-in', '', ...flowTable(results.cases, 'fanin'),
    '', '#### Fan-out', '', ...flowTable(results.cases, 'fanout'),
    '', '### Latency at a fixed rate', '', ...latencyTable(results.cases),
    '', '### Idle connections', '', ...idleTable(results.cases),
    '', '### Retained messages to a new wildcard subscriber', '', ...retainedTable(results.cases),
    '', '### Goals (issue 7)', '', ...goals(results.cases),
    ...(results.cases.some((c) => c.brokers.floor?.median !== undefined)
      ? ['', '### The same goals applied to the floor relay (no broker: what the Node runtime alone costs)', '', ...goals(results.cases, 'floor')]
      : [])
  ]
  console.log(out.join('\n'))
}
