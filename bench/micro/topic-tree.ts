/**
 * Micro-benchmark of TopicTree.match with 100,000 subscriptions (exact, '+', '#' and shared),
 * with and without the match cache (which steps aside by itself while its hit rate is low).
 * Run: `npx tsx bench/micro/topic-tree.ts [subscriptions]`. Reports matches per second of the
 * process's CPU time (user + system: on a shared machine, wall time also counts the time other
 * processes hold the cores), side by side from one run; asserts nothing about time.
 */
import { TopicTree } from '../../lib/broker/topic-tree.js'
import type { MatchCacheOptions, Subscription } from '../../lib/broker/topic-tree.js'
import { MatchCache } from '../../lib/broker/topic-tree-cache.js'

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

function build (cacheSize: number, cache?: MatchCacheOptions): TopicTree {
  const tree = new TopicTree(cache === undefined ? { matchCacheSize: cacheSize } : { matchCacheSize: cacheSize, matchCache: cache })
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

interface Row { readonly scenario: string, readonly cache: string, readonly 'matches/CPU s': string, readonly 'deliveries/match': string, readonly ratio: string }

/** Where each (tree, stream) pair left off: later rounds continue the stream instead of replaying its start. */
const cursors = new Map<string, number>()

const cpuMicros = (): number => { const u = process.cpuUsage(); return u.user + u.system }

/** Runs `match` over the topic stream for about `ms` ms of CPU time; returns matches per CPU second. */
function measure (tree: TopicTree, key: string, topics: readonly string[], ms: number): { rate: number, deliveries: number } {
  let i = cursors.get(key) ?? 0
  let deliveries = 0
  let count = 0
  // Warm-up so the JIT has settled before timing.
  for (let k = 0; k < 20_000; k++) {
    tree.match(topics[i] as string)
    if (++i === topics.length) i = 0
  }
  const start = cpuMicros()
  const budget = ms * 1000
  for (;;) {
    for (let k = 0; k < 1000; k++) {
      const m = tree.match(topics[i] as string)
      deliveries += m.clients.length + m.shares.length
      if (++i === topics.length) i = 0
    }
    count += 1000
    if (cpuMicros() - start > budget) break
  }
  const seconds = (cpuMicros() - start) / 1e6
  cursors.set(key, i)
  return { rate: count / seconds, deliveries: deliveries / count }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

const t0 = process.hrtime.bigint()
// The first is the baseline of the ratios. "never aside" is the cache without its adaptation
// (bypassWindows 0): what the adaptation saves on streams of new topics, and what it costs.
const trees: ReadonlyArray<readonly [string, TopicTree]> = [
  ['off', build(0)],
  ['LRU 1024', build(1024)],
  ['LRU 1024, never aside', build(1024, { bypassWindows: 0 })]
]
const buildMs = Number(process.hrtime.bigint() - t0) / 1e6 / trees.length
const stats = (trees[0] as readonly [string, TopicTree])[1]
console.log(`TopicTree: ${fmt(stats.size)} subscriptions, ${fmt(stats.nodeCount)} nodes, ${CLIENTS.toLocaleString('en-US')} client ids; build ${buildMs.toFixed(0)} ms per tree`)

const hot = Array.from({ length: 500 }, randomTopic).flatMap(t => [t, t, t, t]).sort(() => rnd() - 0.5)
const uniform = (n: number): string[] => Array.from({ length: n }, randomTopic)
const streams: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['hot set: 500 distinct topics', hot],
  ['uniform: ~500k distinct topics', uniform(400_000)],
  // Phases of 20,000 matches: the hot set, then fresh topics, and so on (the cache must follow).
  ['alternating hot / uniform phases', Array.from({ length: 10 }, (_, b) => b % 2 === 0 ? Array.from({ length: 20_000 }, (_, k) => hot[k % hot.length] as string) : uniform(20_000)).flat()]
]

// Five interleaved rounds per (stream, tree); the median is reported, so one GC-heavy stretch
// or a JIT hiccup does not decide the table.
const ROUNDS = 5
const rows: Row[] = []
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
for (const [scenario, topics] of streams) {
  const runs = trees.map((): number[] => [])
  let deliveries = 0
  for (let round = 0; round < ROUNDS; round++) {
    trees.forEach(([cache, tree], k) => {
      const m = measure(tree, `${cache} ${scenario}`, topics, 400)
      runs[k]?.push(m.rate)
      deliveries = m.deliveries
    })
  }
  const base = median(runs[0] as number[])
  trees.forEach(([cache], k) => {
    const rate = median(runs[k] as number[])
    rows.push({ scenario, cache, 'matches/CPU s': fmt(rate), 'deliveries/match': deliveries.toFixed(1), ratio: (rate / base).toFixed(2) })
  })
}
console.table(rows)

// The cache's own bookkeeping per match on the uniform stream, without the tree (the matches above
// differ by less than the noise between two identical trees): lookup, then offer on a miss.
const stream = (streams[1] as readonly [string, readonly string[]])[1]
const value = { cached: true }
const caches: ReadonlyArray<readonly [string, MatchCache<object>]> = [
  ['LRU 1024', new MatchCache<object>(1024)],
  ['LRU 1024, never aside', new MatchCache<object>(1024, { bypassWindows: 0 })]
]
const ns = caches.map((): number[] => [])
for (let round = 0; round < ROUNDS; round++) {
  caches.forEach(([, cache], k) => {
    const start = cpuMicros()
    for (const topic of stream) if (cache.get(topic) === undefined) cache.offer(topic, value)
    ns[k]?.push((cpuMicros() - start) * 1000 / stream.length)
  })
}
console.log('cache bookkeeping per match, uniform stream (CPU ns, median):')
caches.forEach(([name], k) => { console.log(`  ${name.padEnd(24)} ${median(ns[k] as number[]).toFixed(0)}`) })
