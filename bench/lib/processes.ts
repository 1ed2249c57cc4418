/**
 * The child processes of a benchmark run: one per broker and the load process. Every child is
 * registered here and stopped by its PID (SIGTERM, then SIGKILL) on completion, on error, on
 * SIGINT/SIGTERM, and, synchronously, when the harness exits.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BrokerName } from '../options.js'
import { buildCheckout } from './build.js'
import { mosquittoBinary, mosquittoVersion, prepareMosquitto, waitForPort } from '../servers/mosquitto.js'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const children = new Set<ChildProcess>()
const READY_TIMEOUT_MS = 60_000

function track (child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** Stops one child by PID: SIGTERM, SIGKILL after `graceMs`. */
export async function stopChild (child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try { process.kill(child.pid, 'SIGTERM') } catch { return }
  const timer = setTimeout(() => { try { if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL') } catch { /* gone */ } }, graceMs)
  await exited
  clearTimeout(timer)
}

export async function stopAllChildren (): Promise<void> {
  await Promise.all([...children].map(async (child) => await stopChild(child)))
}

process.on('exit', () => {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null) {
      try { process.kill(child.pid, 'SIGKILL') } catch { /* gone */ }
    }
  }
})

/** Keeps the last few KiB a child wrote, to explain a failure. */
function tail (stream: NodeJS.ReadableStream | null): () => string {
  let text = ''
  stream?.on('data', (chunk: Buffer) => { text = (text + chunk.toString('utf8')).slice(-4000) })
  return () => text.trim()
}

export interface RunningBroker {
  readonly name: BrokerName
  readonly pid: number
  readonly port: number
  readonly version: string
  readonly child: ChildProcess
  alive (): boolean
  stop (): Promise<void>
  output (): string
}

function packageVersion (path: string): string {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }).version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

function versionOf (name: BrokerName): string {
  if (name !== 'aedes' && name !== 'mosquitto') return packageVersion(`${REPO_ROOT}package.json`)
  if (name === 'aedes') return packageVersion(`${REPO_ROOT}node_modules/aedes/package.json`)
  const binary = mosquittoBinary()
  return binary === undefined ? 'not installed' : mosquittoVersion(binary)
}

/** Starts a broker in its own process; rejects with the reason when it does not come up. */
export interface BrokerSettings {
  readonly window: number
  readonly profileDir?: string
  readonly qosmosDir?: string
  readonly baselineDir?: string
  /** Extra node flags for 'qosmos' and 'qosmos-lmdb'. */
  readonly qosmosNodeFlags?: readonly string[]
  /** Run the Node brokers under tsx instead of compiled (see build.ts for why compiled is the default). */
  readonly tsx?: boolean
}

/** qosmos from the --baseline checkout, in memory or on lmdb. */
const isBaseline = (name: BrokerName): boolean => name === 'baseline' || name === 'baseline-lmdb'

/**
 * The node arguments that start a Node broker: its server script, compiled (build.ts) unless
 * `tsx`. qosmos and baseline may come from other checkouts.
 */
function serverCommand (name: Exclude<BrokerName, 'mosquitto'>, settings: BrokerSettings): string[] {
  const baseline = isBaseline(name)
  const checkout = baseline ? settings.baselineDir ?? REPO_ROOT : name === 'qosmos' || name === 'qosmos-lmdb' ? settings.qosmosDir ?? REPO_ROOT : REPO_ROOT
  const durable = name === 'qosmos-lmdb' || name === 'baseline-lmdb'
  const script = baseline || durable ? 'qosmos' : name
  const args = durable ? ['--store', 'lmdb'] : []
  if (settings.tsx === true) return ['--import', 'tsx', `${checkout.endsWith('/') ? checkout : `${checkout}/`}bench/servers/${script}.ts`, ...args]
  return [`${buildCheckout(checkout)}/bench/servers/${script}.js`, ...args]
}

export async function startBroker (name: BrokerName, settings: BrokerSettings): Promise<RunningBroker> {
  if (name === 'mosquitto') return await startMosquitto(settings.window)
  if (isBaseline(name) && settings.baselineDir === undefined) throw new Error('no --baseline DIR given')
  const command = serverCommand(name, settings)
  const profile = settings.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', `${settings.profileDir}/${name}`]
  const flags = name === 'qosmos' || name === 'qosmos-lmdb' ? settings.qosmosNodeFlags ?? [] : []
  const child = track(spawn(process.execPath, [...flags, ...profile, ...command], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] }))
  const stderr = tail(child.stderr)
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => fail(new Error(`no READY line within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS)
    const fail = (err: Error): void => { clearTimeout(timer); reject(err) }
    child.once('error', fail)
    child.once('exit', (code, signal) => fail(new Error(`exited (${code ?? signal ?? '?'}) before READY: ${stderr().split('\n').slice(0, 2).join(' ')}`)))
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const match = /^READY (\d+)/m.exec(buffered)
      if (match?.[1] !== undefined) { clearTimeout(timer); resolve(Number(match[1])) }
      if (buffered.length > 10_000) buffered = buffered.slice(-1000)
    })
  }).catch(async (err: unknown) => { await stopChild(child); throw err })
  return running(name, child, port, stderr, () => undefined)
}

async function startMosquitto (window: number): Promise<RunningBroker> {
  const binary = mosquittoBinary()
  if (binary === undefined) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)')
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const launch = await prepareMosquitto(binary, { maxInflight: window })
    const child = track(spawn(launch.command, [...launch.args], { stdio: ['ignore', 'pipe', 'pipe'] }))
    const stderr = tail(child.stderr)
    tail(child.stdout)
    try {
      await waitForPort(launch.port, READY_TIMEOUT_MS, () => child.exitCode === null && child.signalCode === null)
      return running('mosquitto', child, launch.port, stderr, launch.cleanup)
    } catch (err) {
      await stopChild(child)
      launch.cleanup()
      lastError = new Error(`${err instanceof Error ? err.message : String(err)}: ${stderr()}`)
    }
  }
  throw lastError
}

function running (name: BrokerName, child: ChildProcess, port: number, output: () => string, cleanup: () => void): RunningBroker {
  if (child.pid === undefined) throw new Error(`${name}: no PID`)
  const pid = child.pid
  child.once('exit', cleanup)
  return {
    name, pid, port, child, version: versionOf(name), output,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => { await stopChild(child); cleanup() }
  }
}

/** Forks the load process (bench/load/main.ts) and waits for its `ready`. */
export async function startLoadProcess (): Promise<ChildProcess> {
  const child = track(fork(`${REPO_ROOT}bench/load/main.ts`, [], {
    cwd: REPO_ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  }))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('load process not ready within 60 s')), READY_TIMEOUT_MS)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`load process exited (${code ?? '?'})`)) })
    child.once('message', () => { clearTimeout(timer); resolve() })
  })
  return child
}
