/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, or `npm run bench -- --profile DIR`): the
 * functions with the most self time, and the source files with the most self time.
 * Run: npx tsx bench/lib/profile-top.ts [--top N] [--filter TEXT] file.cpuprofile...
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

interface CallFrame { readonly functionName: string, readonly url: string, readonly lineNumber: number }
interface ProfileNode { readonly id: number, readonly callFrame: CallFrame, readonly children?: readonly number[] }
interface Profile { readonly nodes: readonly ProfileNode[], readonly samples: readonly number[], readonly timeDeltas: readonly number[], readonly startTime: number, readonly endTime: number }

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function where (frame: CallFrame): string {
  let url = frame.url
  if (url.startsWith('file://')) url = relative(ROOT, fileURLToPath(url))
  if (url === '') return '(native)'
  return `${url}:${frame.lineNumber + 1}`
}

export interface SelfTime { readonly name: string, readonly where: string, readonly file: string, ms: number }

/** Self time per function (by name and location) and per file, in milliseconds. */
export function selfTimes (profile: Profile): { functions: SelfTime[], files: Map<string, number>, totalMs: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const functions = new Map<string, SelfTime>()
  const files = new Map<string, number>()
  let total = 0
  for (const [id, us] of self) {
    const node = byId.get(id)
    if (node === undefined) continue
    const frame = node.callFrame
    const at = where(frame)
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName
    const key = `${name} ${at}`
    const entry = functions.get(key) ?? { name, where: at, file: at.replace(/:\d+$/, ''), ms: 0 }
    entry.ms += us / 1000
    functions.set(key, entry)
    if (name !== '(idle)') files.set(entry.file, (files.get(entry.file) ?? 0) + us / 1000)
    total += us / 1000
  }
  return { functions: [...functions.values()].sort((a, b) => b.ms - a.ms), files, totalMs: total }
}

function main (): void {
  const args = process.argv.slice(2)
  let top = 30
  let filter: string | undefined
  const paths: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--top') top = Number(args[++i])
    else if (arg === '--filter') filter = args[++i]
    else paths.push(arg)
  }
  if (paths.length === 0) {
    console.error('usage: npx tsx bench/lib/profile-top.ts [--top N] [--filter TEXT] file.cpuprofile...')
    process.exitCode = 2
    return
  }
  for (const path of paths) {
    const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile
    const { functions, files, totalMs } = selfTimes(profile)
    const idle = functions.filter((f) => f.name === '(idle)').reduce((sum, f) => sum + f.ms, 0)
    const busy = totalMs - idle
    console.log(`\n${path}: ${(totalMs / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (percentages of busy time)`)
    console.log('  self ms   self%  function  (location)')
    const shown = functions.filter((f) => f.name !== '(idle)' && (filter === undefined || f.where.includes(filter) || f.name.includes(filter)))
    for (const f of shown.slice(0, top)) {
      console.log(`  ${f.ms.toFixed(0).padStart(7)}  ${(f.ms / busy * 100).toFixed(1).padStart(5)}%  ${f.name}  (${f.where})`)
    }
    console.log('\n  by file:')
    const byFile = [...files].sort((a, b) => b[1] - a[1])
    for (const [file, ms] of byFile.slice(0, 15)) {
      console.log(`  ${ms.toFixed(0).padStart(7)}  ${(ms / busy * 100).toFixed(1).padStart(5)}%  ${file}`)
    }
  }
}

const entry = process.argv[1]
if (entry !== undefined && import.meta.url === new URL(`file://${entry}`).href) main()
