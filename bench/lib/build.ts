/**
 * The Node brokers run as compiled JavaScript, as they would in production (`npm run build`),
 * not under tsx: tsx compiles with esbuild's keepNames, which wraps every function in a
 * `__name(fn, 'name')` call that gives each closure its own property array (about 250 bytes per
 * closure on the heap, and a call per closure created on the per-message path). Measured with
 * tsx, qosmos carried roughly 4 KiB per idle connection of such arrays alone.
 *
 * Each checkout's lib/ and bench/servers/ are compiled with the project's TypeScript into
 * CHECKOUT/.tmp/bench-build/ (gitignored), type errors notwithstanding (another engineer's work
 * in progress must not stop a benchmark); the broker is started as
 * `node CHECKOUT/.tmp/bench-build/bench/servers/NAME.js`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

const built = new Map<string, string>()

/** Compiles `checkout` (once per run); returns the directory holding bench/servers/*.js. */
export function buildCheckout (checkout: string): string {
  const root = checkout.endsWith('/') ? checkout.slice(0, -1) : checkout
  const cached = built.get(root)
  if (cached !== undefined) return cached
  const dir = join(root, '.tmp', 'bench-build')
  const out = join(dir, 'out')
  mkdirSync(dir, { recursive: true })
  const config = join(dir, 'tsconfig.json')
  writeFileSync(config, JSON.stringify({
    extends: join(root, 'tsconfig.json'),
    compilerOptions: {
      rootDir: root,
      outDir: out,
      noEmit: false,
      declaration: false,
      sourceMap: false,
      typeRoots: [join(REPO_ROOT, 'node_modules', '@types')]
    },
    include: [join(root, 'lib', '**', '*.ts'), join(root, 'bench', 'servers', '*.ts')]
  }, null, 2))
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', config], { stdio: 'pipe', timeout: 180_000 })
  } catch (err) {
    // tsc exits non-zero on type errors but still writes the JavaScript; only a missing output is fatal.
    if (!existsSync(join(out, 'bench', 'servers', 'qosmos.js'))) {
      const stdout = (err as { stdout?: Buffer }).stdout?.toString('utf8') ?? ''
      throw new Error(`compiling ${root} for the benchmark failed: ${stdout.split('\n').slice(0, 5).join(' | ')}`)
    }
  }
  built.set(root, out)
  return out
}
