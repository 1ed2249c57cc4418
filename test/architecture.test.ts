/**
 * The import arrows of ARCHITECTURE.md, checked rather than only written (rule 7):
 *   core <- protocol <- qos <- session <- broker | client -> index.ts
 *   persistence/contract <- session, broker, client; backends -> contract only
 *   transport/contract <- broker, client; tcp/tls/ws/memory -> contract only
 */
import test from 'ava'
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs'
import { join, relative, dirname, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const LIB = join(ROOT, 'lib')

function files (dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap(n => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

interface Edge { from: string, spec: string, target: string | undefined }

function imports (file: string): Edge[] {
  const src = readFileSync(file, 'utf8')
  const out: Edge[] = []
  for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)) {
    const spec = (m[1] ?? m[2] ?? m[3]) as string
    const target = spec.startsWith('.') ? relative(LIB, resolve(dirname(file), spec)).split(sep).join('/') : undefined
    out.push({ from: relative(LIB, file).split(sep).join('/'), spec, target })
  }
  return out
}

/** Which lib/ area a file belongs to: its folder, with persistence and transport split in contract/backends. */
function area (path: string): string {
  const [top, second] = path.split('/')
  if (top === 'persistence' || top === 'transport') return second?.startsWith('contract') === true ? `${top}/contract` : `${top}/backend`
  return path.includes('/') ? (top ?? path) : 'index'
}

const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  protocol: ['core'],
  qos: ['core', 'protocol'],
  'persistence/contract': ['core', 'protocol', 'qos'],
  'persistence/backend': ['core', 'protocol', 'qos', 'persistence/contract'],
  'transport/contract': ['core'],
  'transport/backend': ['core', 'transport/contract'],
  session: ['core', 'protocol', 'qos', 'persistence/contract'],
  broker: ['core', 'protocol', 'qos', 'session', 'persistence/contract', 'persistence/backend', 'transport/contract', 'transport/backend'],
  client: ['core', 'protocol', 'qos', 'session', 'persistence/contract', 'persistence/backend', 'transport/contract', 'transport/backend'],
  cli: ['core', 'protocol', 'broker', 'client', 'persistence/contract', 'persistence/backend', 'transport/contract', 'transport/backend'],
  index: ['core', 'protocol', 'qos', 'session', 'broker', 'client', 'persistence/contract', 'persistence/backend', 'transport/contract', 'transport/backend']
}

const edges = files(LIB).flatMap(imports)

test('each lib/ area imports only the areas its arrow allows', t => {
  const bad = edges.filter(e => e.target !== undefined).flatMap(e => {
    const from = area(e.from)
    const to = area(e.target as string)
    if (from === to) return []
    const allowed = ALLOWED[from]
    return allowed === undefined || !allowed.includes(to) ? [`${e.from} -> ${e.spec} (${from} -> ${to})`] : []
  })
  t.deepEqual(bad, [])
})

test('only lib/protocol imports mqtt-packet', t => {
  const bad = edges.filter(e => e.spec === 'mqtt-packet' || e.spec.startsWith('mqtt-packet/')).filter(e => area(e.from) !== 'protocol')
  t.deepEqual(bad.map(e => e.from), [])
})

test('lib/qos and lib/core are pure: no node: modules, no packages, no timers or promises', t => {
  const pure = edges.filter(e => ['qos', 'core'].includes(area(e.from)) && e.target === undefined)
  t.deepEqual(pure.map(e => `${e.from} -> ${e.spec}`), [])
  const qosSources = files(join(LIB, 'qos')).map(f => [relative(LIB, f), readFileSync(f, 'utf8')] as const)
  const io = qosSources.filter(([, src]) => /\b(await|async|Promise|setTimeout|setInterval|setImmediate|process\.|Date\.now)\b/.test(src.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')))
  t.deepEqual(io.map(([f]) => f), [])
})

test('broker and client never import each other', t => {
  const bad = edges.filter(e => e.target !== undefined && ((area(e.from) === 'broker' && area(e.target) === 'client') || (area(e.from) === 'client' && area(e.target) === 'broker')))
  t.deepEqual(bad.map(e => `${e.from} -> ${e.spec}`), [])
})

test('the checker sees the imports it must judge', t => {
  // Guards against a regex that silently matches nothing and so passes every rule above.
  t.true(edges.some(e => e.from.startsWith('qos/') && e.target?.startsWith('core/') === true))
  t.true(edges.some(e => e.spec === 'mqtt-packet'))
})
