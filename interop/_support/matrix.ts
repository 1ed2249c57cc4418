/**
 * The interop matrix: each test file records one cell per test (peer x feature x protocol
 * version -> pass / FAIL / skipped) into interop/.results/<file>.json when it ends (see
 * recorder.ts), then rebuilds interop/MATRIX.md from every results file, under a lock so that
 * concurrent test files do not lose each other's cells. `npx tsx interop/matrix.ts` rebuilds
 * it by hand.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export type Version = 4 | 5

export const INTEROP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS_DIR = join(INTEROP_DIR, '.results')
const MATRIX = join(INTEROP_DIR, 'MATRIX.md')
const LOCK = join(INTEROP_DIR, '.results', '.lock')

export const FEATURES = {
  'pub-q0': 'peer publishes QoS 0, a subscriber receives it',
  'pub-q1': 'peer publishes QoS 1 (PUBACK), a subscriber receives it',
  'pub-q2': 'peer publishes QoS 2 (PUBREC/PUBREL/PUBCOMP), a subscriber receives it once',
  'sub-q0': 'peer subscribes, receives a QoS 0 publication',
  'sub-q1': 'peer subscribes, receives a QoS 1 publication',
  'sub-q2': 'peer subscribes, receives a QoS 2 publication once',
  'retain-set': 'peer publishes a retained message; a later subscriber gets it; an empty retained message clears it',
  'retain-get': 'peer subscribes and receives the stored retained message with the retain flag',
  'will-abnormal': 'peer connection lost without DISCONNECT: its will is published (and retained, as flagged)',
  'will-normal': 'peer disconnects normally: its will is not published',
  'session-resume': 'persistent session: QoS 1 and 2 messages queued while the peer was offline arrive on resume',
  unsubscribe: 'peer unsubscribes: no more messages on that filter, other filters still delivered',
  'user-properties': 'v5 user properties pass through, both directions, in order',
  'response-correlation': 'v5 response topic and correlation data pass through, both directions',
  'message-expiry': 'v5 message expiry: expired queued message dropped, remaining interval forwarded',
  shared: 'shared subscription $share/g/t: each QoS 1 or 2 message to exactly one member of the group'
} as const
export type Feature = keyof typeof FEATURES

export const V5_ONLY: ReadonlySet<Feature> = new Set(['user-properties', 'response-correlation', 'message-expiry'])

export interface PeerColumn { readonly id: string, readonly label: string, readonly pending?: string }

export const PEERS: readonly PeerColumn[] = [
  { id: 'mqttjs', label: 'MQTT.js (npm mqtt) client' },
  { id: 'mosquitto-clients', label: 'mosquitto_pub / mosquitto_sub' },
  { id: 'paho', label: 'Python paho-mqtt client' },
  { id: 'client-vs-mosquitto', label: 'qosmos client vs mosquitto broker' },
  { id: 'client-vs-aedes', label: 'qosmos client vs aedes' }
]

/** 'n/a': a test passed that shows the other side lacks the feature (its note says what it observed). */
export type Outcome = 'pass' | 'fail' | 'skipped' | 'n/a'
export interface Cell { readonly peer: string, readonly version: Version, readonly feature: Feature, readonly outcome: Outcome, readonly note?: string }

const versionLabel = (v: Version): string => (v === 5 ? '5.0' : '3.1.1')

export function writeResults (name: string, tool: string, cells: readonly Cell[]): void {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const tmp = join(RESULTS_DIR, `.${name}.${process.pid}.tmp`)
  writeFileSync(tmp, JSON.stringify({ file: name, tool, cells }, null, 2))
  renameSync(tmp, join(RESULTS_DIR, `${name}.json`))
}

interface Results { readonly file: string, readonly tool: string, readonly cells: Cell[] }

function readResults (): Results[] {
  if (!existsSync(RESULTS_DIR)) return []
  const out: Results[] = []
  for (const f of readdirSync(RESULTS_DIR).sort()) {
    if (!f.endsWith('.json') || f.startsWith('.')) continue
    const testFile = join(INTEROP_DIR, f.slice(0, -'.json'.length))
    if (!existsSync(testFile)) continue // the test file was removed or renamed
    out.push(JSON.parse(readFileSync(join(RESULTS_DIR, f), 'utf8')) as Results)
  }
  return out
}

function withLock (fn: () => void): void {
  mkdirSync(RESULTS_DIR, { recursive: true })
  for (let i = 0; i < 200; i++) {
    try { mkdirSync(LOCK) } catch { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25); continue }
    try { fn(); return } finally { rmdirSync(LOCK) }
  }
  fn() // a lock left by a killed run: write anyway
}

export function writeMatrix (): void {
  withLock(() => {
    const tmp = `${MATRIX}.${process.pid}.tmp`
    writeFileSync(tmp, renderMatrix(readResults()))
    renameSync(tmp, MATRIX)
  })
}

function cellText (cells: readonly Cell[], peer: PeerColumn, version: Version, feature: Feature): string {
  if (peer.pending !== undefined) return peer.pending
  if (version === 4 && V5_ONLY.has(feature)) return 'n/a (v5 only)'
  const found = cells.filter(c => c.peer === peer.id && c.version === version && c.feature === feature)
  if (found.length === 0) return 'not run'
  if (found.some(c => c.outcome === 'fail')) return '**FAIL**'
  if (found.some(c => c.outcome === 'skipped')) return `skipped (${found.find(c => c.note !== undefined)?.note ?? 'tool missing'})`
  if (found.some(c => c.outcome === 'n/a')) return `n/a (${found.find(c => c.note !== undefined)?.note ?? 'not supported'})`
  return 'pass'
}

export function renderMatrix (results: readonly Results[]): string {
  const cells = results.flatMap(r => r.cells)
  const columns = PEERS.flatMap(p => ([4, 5] as const).map(v => ({ peer: p, version: v })))
  const lines = [
    '# Interop matrix',
    '',
    'Generated by the interop tests (`npm run test:interop`; each test file records its cells in',
    '`interop/.results/` and rebuilds this file). Rows: feature; columns: peer and MQTT protocol',
    'version, against the qosmos broker over loopback unless the column says otherwise ("qosmos client vs X":',
    'the qosmos client (lib/client) is the peer and X the broker, a raw-packet client the other side).',
    'n/a cells name what the test observed that rules the feature out on that side.',
    '',
    `| feature | ${columns.map(c => `${c.peer.label} ${versionLabel(c.version)}`).join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`
  ]
  const counts = { pass: 0, fail: 0, skipped: 0, 'n/a': 0, 'not run': 0 }
  for (const feature of Object.keys(FEATURES) as Feature[]) {
    const row = columns.map(c => cellText(cells, c.peer, c.version, feature))
    for (const r of row) {
      if (r === 'pass') counts.pass++
      else if (r === '**FAIL**') counts.fail++
      else if (r.startsWith('skipped')) counts.skipped++
      else if (r === 'not run') counts['not run']++
      else if (r.startsWith('n/a')) counts['n/a']++
    }
    lines.push(`| ${feature}: ${FEATURES[feature]} | ${row.join(' | ')} |`)
  }
  const tools = new Map<string, string[]>()
  for (const r of results) tools.set(r.tool, [...(tools.get(r.tool) ?? []), `interop/${r.file}`])
  lines.push('', 'Peers in this run:', '', ...[...tools].map(([tool, files]) => `- ${tool} (${files.join(', ')})`))
  const pending = PEERS.some(p => p.pending !== undefined) ? '; columns marked "not yet" wait for the qosmos client (lib/client)' : ''
  lines.push('', `Cells: ${counts.pass} pass, ${counts.fail} fail, ${counts.skipped} skipped, ${counts['n/a']} n/a, ${counts['not run']} not run${pending}.`, '')
  return lines.join('\n')
}
