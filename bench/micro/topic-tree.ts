/**
 * Micro-benchmark of TopicTree.match with 100,000 subscriptions (exact, '+', '#' and shared),
 * with and without the match cache. Run: `npx tsx bench/micro/topic-tree.ts [subscriptions]`.
 * Reports throughput side by side from one run; asserts nothing about time.
 */
import { TopicTree } from '../../lib/broker/topic-tree.js'
import type { Subscription } from '../../lib/broker/topic-tree.js'

const SUBSCRIPTIONS = Number(process.argv[2] ?? 100_000)
const CLIENTS = 20_000
const REGIONS = 20
const SITES = 50
const DEVICES = 100
const METRICS = ['temp', 'hum', 'co2', 'power', 'status']

/** Deterministic PRNG (mulberry32) so every run builds the same tree and topic streams. */
function prng (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const rnd = prng(42)
const pick = (n: number): number => Math.floor(rnd() * n)
const metric = (): string => METRICS[pick(METRICS.length)] as string

function randomFilter (): string {
  const r = pick(REGIONS); const s = pick(SITES); const d = pick(DEVICES)
  const x = rnd()
  if (x < 0.60) return `t/r${r}/s${s}/d${d}/${metric()}` // exact
  if (x < 0.70) return `t/r${r}/+/d${d}/${metric()}` // '+' in the middle
  if (x < 0.78) return `t/+/s${s}/d${d}/+` // '+' second and last
  if (x < 0.88) return `t/r${r}/s${s}/#` // '#' below a site
  if (x < 0.882) return `t/r${r}/#` // '#' below a region (few: each gets 1/20 of all traffic)
  if (x < 0.95) return `cmd/c${pick(CLIENTS)}/#` // per-client command subtree
  return `$share/g${pick(10)}/t/r${r}/+/+/${metric()}` // shared
}

function randomTopic (): string {
  const x = rnd()
  if (x < 0.90) return `t/r${pick(REGIONS)}/s${pick(SITES)}/d${pick(DEVICES)}/${metric()}`
  if (x < 0.95) return `cmd/c${pick(CLIENTS)}/reboot`
  if (x < 0.98) return `$SYS/broker/load/${pick(10)}`
  return `unrouted/${pick(1000)}`
}

function build (cacheSize: number): TopicTree {
  const tree = new TopicTree({ matchCacheSize: cacheSize })
  const r = prng(7) // same subscriptions for every tree
  let n = 0
  let qos: 0 | 1 | 2 = 0
  while (tree.size < SUBSCRIPTIONS) {
    const sub: Subscription = { clientId: `client-${Math.floor(r() * CLIENTS)}`, filter: randomFilter(), qos, subscriptionIdentifier: 1 + (n++ % 100) }
    qos = qos === 2 ? 0 : (qos + 1) as 1 | 2
    tree.subscribe(sub)
  }
  return tree
}

interface Row { readonly scenario: string, readonly cache: string, readonly 'matches/s': string, readonly 'deliveries/match': string, readonly ratio: string }

/** Runs `match` over the topic stream for about `ms` milliseconds; returns matches per second. */
function measure (tree: TopicTree, topics: readonly string[], ms: number): { rate: number, deliveries: number } {
  let i = 0
  let deliveries = 0
  let count = 0
  // Warm-up so the JIT has settled before timing.
  for (let k = 0; k < 20_000; k++) tree.match(topics[k % topics.length] as string)
  const start = process.hrtime.bigint()
  const budget = BigInt(ms) * 1_000_000n
  for (;;) {
    for (let k = 0; k < 1000; k++) {
      const m = tree.match(topics[i] as string)
      deliveries += m.clients.length + m.shares.length
      if (++i === topics.length) i = 0
    }
    count += 1000
    if (process.hrtime.bigint() - start > budget) break
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return { rate: count / seconds, deliveries: deliveries / count }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

const t0 = process.hrtime.bigint()
const trees = { none: build(0), lru: build(1024) }
const buildMs = Number(process.hrtime.bigint() - t0) / 2e6
const stats = trees.none
console.log(`TopicTree: ${fmt(stats.size)} subscriptions, ${fmt(stats.nodeCount)} nodes, ${CLIENTS.toLocaleString('en-US')} client ids; build ${buildMs.toFixed(0)} ms per tree`)

const streams: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['hot set: 500 distinct topics', Array.from({ length: 500 }, randomTopic).flatMap(t => [t, t, t, t]).sort(() => rnd() - 0.5)],
  ['uniform: ~500k distinct topics', Array.from({ length: 200_000 }, randomTopic)]
]

// Three interleaved rounds per (stream, tree); the median is reported, so one GC-heavy stretch
// or a JIT hiccup does not decide the table.
const ROUNDS = 3
const rows: Row[] = []
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
for (const [scenario, topics] of streams) {
  const runs = { none: [] as number[], lru: [] as number[] }
  let deliveries = 0
  for (let round = 0; round < ROUNDS; round++) {
    const base = measure(trees.none, topics, 500)
    const cached = measure(trees.lru, topics, 500)
    runs.none.push(base.rate)
    runs.lru.push(cached.rate)
    deliveries = base.deliveries
  }
  const base = median(runs.none)
  const cached = median(runs.lru)
  rows.push({ scenario, cache: 'off', 'matches/s': fmt(base), 'deliveries/match': deliveries.toFixed(1), ratio: '1.00' })
  rows.push({ scenario, cache: 'LRU 1024', 'matches/s': fmt(cached), 'deliveries/match': deliveries.toFixed(1), ratio: (cached / base).toFixed(2) })
}
console.table(rows)
