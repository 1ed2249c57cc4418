/**
 * Live heap per idle connection, by constructor: what an idle connected client costs the broker
 * beyond its socket. Not a timed benchmark (nothing about speed is measured).
 *
 *   npx tsx bench/micro/idle-heap.ts [--n 3000] [--cases v4-clean,v4-persistent,v5-clean,v5-persistent]
 *                                    [--dir /path/to/checkout] [--top 30] [--keep]
 *
 * The checkout is compiled with tsc (bench/lib/build.ts: tsx's `__name` wrappers would give every
 * closure a property array of its own and inflate the figures). For each case a fresh broker
 * process (plain node, no tsx, `--expose-gc`) runs `createBroker()` in memory; a second process
 * opens N raw TCP sockets and sends one CONNECT on each (keep alive 60 s), waiting for every
 * CONNACK. The broker takes a heap snapshot after two full collections before and after the
 * connections; the difference of the two, by node type and constructor name (self sizes), divided
 * by N, is the table. Also printed: used heap (v8.getHeapStatistics) per connection. RSS is not:
 * the first snapshot itself grows it; `npm run bench -- --scenarios idle` measures RSS.
 *
 * Cases: v4 = MQTT 3.1.1, v5 = MQTT 5.0; clean = Clean Session 1 / Clean Start 1 with no Session
 * Expiry; persistent = Clean Session 0 / Session Expiry Interval 3600 (the session outlives the
 * connection, in the broker's memory store).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createReadStream, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildCheckout } from '../lib/build.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

function arg (name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] as string : fallback
}

const N = Number(arg('n', '3000'))
const CASES = arg('cases', 'v4-clean,v4-persistent,v5-clean,v5-persistent').split(',')
const DIR = arg('dir', REPO_ROOT)
const TOP = Number(arg('top', '30'))
const WARM = 50
const KEEP = process.argv.includes('--keep')
/** `--retainers 'object:Buffer,array:'`: for these keys, who holds them (parent key and edge name), in the "after" snapshot. */
const RETAINERS = arg('retainers', '').split(',').filter(k => k !== '')

/** The broker process: plain JavaScript, so that nothing of the probe's own loader is in its heap. */
const BROKER_SOURCE = `
import { writeHeapSnapshot, getHeapStatistics } from 'node:v8'
const { createBroker } = await import(process.env.QOSMOS_BROKER)
const broker = createBroker()
const { port } = await broker.listen({ port: 0, host: '127.0.0.1' })
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise(r => setImmediate(r)) } globalThis.gc() }
const measure = async (name) => {
  await settle()
  const heap = getHeapStatistics().used_heap_size
  const file = writeHeapSnapshot(process.env.SNAP_DIR + '/' + name + '.heapsnapshot')
  return { heap, file }
}
process.on('message', async (m) => {
  if (m === 'before' || m === 'after') process.send({ [m]: await measure(m) })
  if (m === 'stop') { await broker.close(); process.exit(0) }
})
process.send({ port })
`

/** The client process: N sockets, one CONNECT each, every CONNACK awaited; then it holds them. */
const CLIENT_SOURCE = `
import { connect } from 'node:net'
const [port, n, version, persistent, first] = process.argv.slice(1).map(Number)
function str (s) { const b = Buffer.from(s); const l = Buffer.alloc(2); l.writeUInt16BE(b.length); return Buffer.concat([l, b]) }
function vbi (n) { const out = []; do { let d = n % 128; n = Math.floor(n / 128); if (n > 0) d |= 128; out.push(d) } while (n > 0); return Buffer.from(out) }
function connectPacket (id) {
  const flags = persistent ? 0x00 : 0x02
  const props = version === 5 ? (persistent ? Buffer.from([5, 0x11, 0, 0, 0x0e, 0x10]) : Buffer.from([0])) : Buffer.alloc(0)
  const body = Buffer.concat([str('MQTT'), Buffer.from([version, flags, 0, 60]), props, str(id)])
  return Buffer.concat([Buffer.from([0x10]), vbi(body.length), body])
}
const sockets = []
const BATCH = 100
for (let i = 0; i < n; i += BATCH) {
  await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' })
    s.once('error', reject)
    s.once('data', (d) => { if (d[0] !== 0x20 || d[version === 5 ? 3 : 3] !== 0) reject(new Error('refused ' + d.toString('hex'))); else resolve() })
    s.write(connectPacket('idle-heap-' + (first + i + k)))
    sockets.push(s)
  })))
}
process.send('connected')
process.on('message', () => { for (const s of sockets) s.destroy(); process.exit(0) })
`

interface Measure { heap: number, file: string }

function nodeProcess (source: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', source, ...args], {
    cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
}

function next<T> (child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => { resolve(m as T) })
    child.once('exit', (code) => { reject(new Error(`child exited (${code ?? 'signal'})`)) })
  })
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[], node_types: [string[]], edge_fields: string[], edge_types: [string[]] } }
  nodes: number[]
  edges: number[]
  strings: string[]
}

async function load (file: string): Promise<Snapshot> {
  // Snapshots of a few thousand connections are tens of MB: parse with JSON.parse once.
  const chunks: Buffer[] = []
  for await (const chunk of createReadStream(file)) chunks.push(chunk as Buffer)
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Snapshot
}

/** "type:name" of every node: objects and closures by constructor / function name, strings and numbers as one group. */
function keys (snap: Snapshot): string[] {
  const fields = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0]
  const width = fields.length
  const ti = fields.indexOf('type')
  const ni = fields.indexOf('name')
  const out: string[] = []
  const nodes = snap.nodes
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + ti] as number] as string
    let name = snap.strings[nodes[i + ni] as number] as string
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number') name = ''
    else if (type === 'code' || type === 'hidden') name = name.startsWith('system /') ? name.replace(/ \/.*/, '').slice(0, 40) : name.slice(0, 40)
    else name = name.slice(0, 60)
    out.push(`${type}:${name}`)
  }
  return out
}

/** Self size and count by key. */
function aggregate (snap: Snapshot, nodeKeys: string[]): Map<string, { size: number, count: number }> {
  const fields = snap.snapshot.meta.node_fields
  const width = fields.length
  const si = fields.indexOf('self_size')
  const out = new Map<string, { size: number, count: number }>()
  for (let n = 0; n < nodeKeys.length; n++) {
    const key = nodeKeys[n] as string
    const entry = out.get(key) ?? { size: 0, count: 0 }
    entry.size += snap.nodes[n * width + si] as number
    entry.count++
    out.set(key, entry)
  }
  return out
}

/** For the nodes of `wanted` keys: how many are held by each (parent key, edge name). */
function retainers (snap: Snapshot, nodeKeys: string[], wanted: readonly string[]): Map<string, Map<string, number>> {
  const { node_fields: nf, edge_fields: ef, edge_types: [etypes] } = snap.snapshot.meta
  const width = nf.length
  const ewidth = ef.length
  const eci = nf.indexOf('edge_count')
  const eti = ef.indexOf('type')
  const eni = ef.indexOf('name_or_index')
  const eto = ef.indexOf('to_node')
  const out = new Map<string, Map<string, number>>(wanted.map(k => [k, new Map()]))
  let e = 0
  for (let n = 0; n < nodeKeys.length; n++) {
    const count = snap.nodes[n * width + eci] as number
    for (let k = 0; k < count; k++, e += ewidth) {
      const child = nodeKeys[(snap.edges[e + eto] as number) / width] as string
      const map = out.get(child)
      if (map === undefined) continue
      const etype = etypes[snap.edges[e + eti] as number] as string
      if (etype === 'weak') continue
      const ename = etype === 'element' || etype === 'hidden' ? `[${etype}]` : String(snap.strings[snap.edges[e + eni] as number])
      const via = `${nodeKeys[n] as string} .${ename}`
      map.set(via, (map.get(via) ?? 0) + 1)
    }
  }
  return out
}

async function runCase (build: string, name: string): Promise<void> {
  const [v, kind] = name.split('-')
  const version = v === 'v5' ? 5 : 4
  const persistent = kind === 'persistent' ? 1 : 0
  const snapDir = join(REPO_ROOT, '.tmp', 'idle-heap', name)
  mkdirSync(snapDir, { recursive: true })
  const broker = nodeProcess(BROKER_SOURCE, [], { QOSMOS_BROKER: join(build, 'lib', 'broker', 'index.js'), SNAP_DIR: snapDir })
  try {
    const { port } = await next<{ port: number }>(broker)
    // Warm-up connections, kept in both snapshots: what the first connections create once
    // (mqtt-packet's table of 65,536 two-byte Buffers, compiled code, caches) is not per connection.
    const warm = nodeProcess(CLIENT_SOURCE, [String(port), String(WARM), String(version), String(persistent), '0'], {})
    await next<string>(warm)
    broker.send('before')
    const { before } = await next<{ before: Measure }>(broker)
    const clients = nodeProcess(CLIENT_SOURCE, [String(port), String(N), String(version), String(persistent), String(WARM)], {})
    await next<string>(clients)
    await new Promise(resolve => setTimeout(resolve, 500))
    broker.send('after')
    const { after } = await next<{ after: Measure }>(broker)
    clients.send('stop')
    warm.send('stop')
    broker.send('stop')
    const a = await (async () => { const snap = await load(before.file); return aggregate(snap, keys(snap)) })()
    const afterSnap = await load(after.file)
    const afterKeys = keys(afterSnap)
    const b = aggregate(afterSnap, afterKeys)
    const rows: Array<{ key: string, size: number, count: number }> = []
    let total = 0
    for (const [key, entry] of b) {
      const old = a.get(key) ?? { size: 0, count: 0 }
      const size = entry.size - old.size
      total += size
      rows.push({ key, size, count: entry.count - old.count })
    }
    for (const [key, old] of a) if (!b.has(key)) { total -= old.size; rows.push({ key, size: -old.size, count: -old.count }) }
    rows.sort((x, y) => y.size - x.size)
    console.log(`\n## ${name} (MQTT ${version === 5 ? '5.0' : '3.1.1'}, ${persistent === 1 ? 'persistent' : 'clean'} session), ${N} idle connections`)
    console.log(`snapshot self sizes: ${(total / N).toFixed(0)} B per connection; used heap after full GCs: ${((after.heap - before.heap) / N).toFixed(0)} B`)
    console.log('| B/conn | per conn | type:name |')
    console.log('|---:|---:|---|')
    for (const row of rows.slice(0, TOP)) {
      if (Math.abs(row.size / N) < 4) break
      console.log(`| ${(row.size / N).toFixed(0)} | ${(row.count / N).toFixed(2)} | ${row.key} |`)
    }
    if (RETAINERS.length > 0) {
      for (const [key, held] of retainers(afterSnap, afterKeys, RETAINERS)) {
        console.log(`\nheld ${key} (per connection, by parent and edge):`)
        for (const [via, count] of [...held].sort((x, y) => y[1] - x[1]).slice(0, 15)) console.log(`  ${(count / N).toFixed(2)}  ${via}`)
      }
    }
  } finally {
    if (broker.exitCode === null) broker.kill()
    if (!KEEP) rmSync(snapDir, { recursive: true, force: true })
  }
}

const build = buildCheckout(DIR)
for (const name of CASES) await runCase(build, name)
