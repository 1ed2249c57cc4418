/**
 * What every scenario shares: connecting clients (bounded concurrency, every one tracked so a
 * failed scenario still closes them all), bounded waiting, and the measured window's snapshots.
 */
import { performance } from 'node:perf_hooks'
import { processCpuSplitMicros } from '../lib/proc.js'
import type { ScenarioSpec } from '../lib/types.js'
import { LoadClient } from './client.js'

const live = new Set<LoadClient>()

export const CONNECT_TIMEOUT_MS = 10_000

export async function connectClient (spec: ScenarioSpec, clientId: string, keepAliveSeconds = 60): Promise<LoadClient> {
  const client = await LoadClient.connect({
    host: spec.host, port: spec.port, clientId, level: spec.level, keepAliveSeconds, timeoutMs: CONNECT_TIMEOUT_MS,
    persistentSession: spec.persistentSessions
  })
  live.add(client)
  const previous = client.onClose
  client.onClose = (err) => { live.delete(client); previous?.(err) }
  return client
}

/** Connects `count` clients, at most `concurrency` handshakes at a time; failures are counted, not thrown. */
export async function connectMany (spec: ScenarioSpec, prefix: string, count: number, concurrency: number): Promise<{ clients: LoadClient[], failures: string[] }> {
  const clients: LoadClient[] = []
  const failures: string[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++
      try {
        clients.push(await connectClient(spec, `${prefix}-${index}`))
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err))
        if (failures.length > Math.max(10, count / 10)) return
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return { clients, failures }
}

/** Disconnects the given clients politely, at most `concurrency` at a time, each bounded in time. */
export async function disconnectAll (clients: readonly LoadClient[], concurrency = 200): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < clients.length) await clients[next++]?.disconnect(2000)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker))
}

/** Destroys every client still open (after a failed scenario). */
export function destroyLeftovers (): number {
  const count = live.size
  for (const client of live) client.destroy()
  live.clear()
  return count
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Waits until `done()`; gives up after `timeoutMs`, or after `idleMs` without `progress()`
 * changing. Polls every 5 ms.
 */
export function waitUntil (done: () => boolean, options: { timeoutMs: number, idleMs: number, progress: () => number }): Promise<'done' | 'timeout' | 'idle'> {
  const started = performance.now()
  let lastProgress = options.progress()
  let lastProgressAt = started
  return new Promise((resolve) => {
    const check = (): void => {
      if (done()) { resolve('done'); return }
      const now = performance.now()
      const progress = options.progress()
      if (progress !== lastProgress) { lastProgress = progress; lastProgressAt = now }
      if (now - started >= options.timeoutMs) { resolve('timeout'); return }
      if (now - lastProgressAt >= options.idleMs) { resolve('idle'); return }
      setTimeout(check, 5)
    }
    check()
  })
}

export interface Snapshot {
  readonly at: number
  readonly brokerCpuUs: number | undefined
  /** The kernel's part of brokerCpuUs (stime). */
  readonly brokerSysUs: number | undefined
  readonly loadCpuUs: number
  readonly count: number
}

export function snapshot (brokerPid: number, count: number): Snapshot {
  const usage = process.cpuUsage()
  const cpu = processCpuSplitMicros(brokerPid)
  return { at: performance.now(), brokerCpuUs: cpu === undefined ? undefined : cpu.user + cpu.sys, brokerSysUs: cpu?.sys, loadCpuUs: usage.user + usage.system, count }
}

/** Below this much broker CPU in a window, CLK_TCK granularity (10 ms at 100 Hz) makes the figure coarse. */
export const COARSE_CPU_US = 100_000

/** A note when the broker used too little CPU in the window for its figure to be more than a hint. */
export function coarseCpuNote (a: Snapshot, b: Snapshot): string[] {
  if (a.brokerCpuUs === undefined || b.brokerCpuUs === undefined) return ['broker CPU unreadable (/proc)']
  const used = b.brokerCpuUs - a.brokerCpuUs
  return used < COARSE_CPU_US ? [`broker CPU only ${Math.round(used / 1000)} ms in the window (10 ms ticks): CPU figures coarse`] : []
}

/** The measured window between two snapshots; `endAt` overrides the end time (last receipt). */
export function windowFigures (a: Snapshot, b: Snapshot, endAt = b.at): {
  windowMs: number, deliveredPerSec: number, brokerCpuUsPerDelivery: number, brokerSysUsPerDelivery: number, brokerCpuPercent: number, loadCpuPercent: number
} {
  const windowMs = Math.max(0.001, endAt - a.at)
  const count = b.count - a.count
  const brokerCpu = a.brokerCpuUs === undefined || b.brokerCpuUs === undefined ? Number.NaN : b.brokerCpuUs - a.brokerCpuUs
  return {
    windowMs,
    deliveredPerSec: count / windowMs * 1000,
    brokerCpuUsPerDelivery: count > 0 ? brokerCpu / count : Number.NaN,
    brokerSysUsPerDelivery: count > 0 && a.brokerSysUs !== undefined && b.brokerSysUs !== undefined ? (b.brokerSysUs - a.brokerSysUs) / count : Number.NaN,
    brokerCpuPercent: brokerCpu / ((b.at - a.at) * 1000) * 100,
    loadCpuPercent: (b.loadCpuUs - a.loadCpuUs) / ((b.at - a.at) * 1000) * 100
  }
}
