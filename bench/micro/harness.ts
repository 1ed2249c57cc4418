/**
 * A tiny micro-benchmark runner: each case runs in batches until `minMs` have passed (after a
 * warm-up of the same length), then prints operations per second. No assertions: the figures
 * are for comparing cases run side by side in one process.
 */
import { performance } from 'node:perf_hooks'

export interface MicroCase {
  readonly name: string
  /** One call performs `opsPerCall` operations. */
  readonly fn: () => void
  readonly opsPerCall?: number
}

export interface MicroResult { readonly name: string, readonly opsPerSec: number }

/** Keeps results observable so the JIT cannot drop the work. */
export let sink: unknown

export function keep (value: unknown): void { sink = value }

function timeBatches (fn: () => void, minMs: number): { calls: number, ms: number } {
  let calls = 0
  let batch = 1
  const started = performance.now()
  let elapsed = 0
  while (elapsed < minMs) {
    for (let i = 0; i < batch; i++) fn()
    calls += batch
    elapsed = performance.now() - started
    if (elapsed < minMs / 10) batch *= 2
  }
  return { calls, ms: elapsed }
}

export function runCases (title: string, cases: readonly MicroCase[], minMs = Number(process.env.MICRO_MS ?? 1000)): MicroResult[] {
  console.log(`\n${title}`)
  const results: MicroResult[] = []
  for (const c of cases) {
    timeBatches(c.fn, Math.min(300, minMs)) // warm-up
    const { calls, ms } = timeBatches(c.fn, minMs)
    const opsPerSec = calls * (c.opsPerCall ?? 1) / ms * 1000
    results.push({ name: c.name, opsPerSec })
    console.log(`  ${c.name.padEnd(48)} ${Math.round(opsPerSec).toLocaleString('en-US').padStart(14)} ops/s`)
  }
  return results
}

/** Prints a/b for labelled pairs of results: [label, name of a, name of b]. */
export function printRatios (results: readonly MicroResult[], pairs: ReadonlyArray<readonly [string, string, string]>): void {
  const byName = new Map(results.map((r) => [r.name, r.opsPerSec]))
  for (const [label, a, b] of pairs) {
    const x = byName.get(a)
    const y = byName.get(b)
    if (x !== undefined && y !== undefined) console.log(`  ${label.padEnd(40)} ${(x / y).toFixed(2)}x`)
  }
}
