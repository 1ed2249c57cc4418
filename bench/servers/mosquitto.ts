/**
 * Eclipse Mosquitto, spawned directly (its PID is the broker's PID) with a generated config in
 * a temp dir: one loopback listener, anonymous access, no persistence, no per-connection log
 * lines, everything else at mosquitto's defaults except two limits, set so that mosquitto does
 * not drop messages the load keeps within its window (see BENCHMARKS.md):
 * - max_inflight_messages = the benchmark's window (default 20): with 20, mosquitto 2.0.11
 *   acknowledged then silently dropped QoS 2 messages from a v3.1.1 publisher with 64 in flight
 *   (a v3.1.1 client cannot know the limit; v5 clients see it as Receive Maximum).
 * - max_queued_messages 10000 (qosmos's default maxQueuedMessages; mosquitto's is 1000): with
 *   1000 it logged "Outgoing messages are being dropped" in fan-in QoS 1 with 4 x 64 outstanding.
 * Mosquitto prints no READY line: it is ready when its port accepts TCP.
 *
 * Run directly (`tsx bench/servers/mosquitto.ts [--port N] [--window N]`) it behaves like the Node server
 * scripts: starts mosquitto, prints `READY <port>` and stops it on SIGTERM/SIGINT.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { requestedPort } from './serve.js'

export function mosquittoBinary (): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8', timeout: 5000 }).trim() || undefined
  } catch {
    return undefined
  }
}

export function mosquittoVersion (binary: string): string {
  try {
    return /mosquitto version (\S+)/.exec(execFileSync(binary, ['-h'], { encoding: 'utf8', timeout: 5000 }))?.[1] ?? 'unknown'
  } catch (err) {
    // `mosquitto -h` exits with status 3 after printing its usage.
    const stdout = (err as { stdout?: unknown }).stdout
    return typeof stdout === 'string' ? /mosquitto version (\S+)/.exec(stdout)?.[1] ?? 'unknown' : 'unknown'
  }
}

/** A free loopback port (bound, read, released: a small race the harness absorbs by retrying). */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')))
    })
  })
}

export interface MosquittoLaunch {
  readonly command: string
  readonly args: readonly string[]
  readonly port: number
  readonly configFile: string
  /** Removes the temp dir. */
  cleanup (): void
}

export async function prepareMosquitto (binary: string, settings: { port?: number, maxInflight?: number } = {}): Promise<MosquittoLaunch> {
  const chosen = settings.port !== undefined && settings.port > 0 ? settings.port : await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-bench-mosquitto-'))
  const configFile = join(dir, 'mosquitto.conf')
  writeFileSync(configFile, [
    `listener ${chosen} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'connection_messages false',
    `max_inflight_messages ${settings.maxInflight ?? 20}`,
    'max_queued_messages 10000',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ''
  ].join('\n'))
  return { command: binary, args: ['-c', configFile], port: chosen, configFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Resolves once `port` accepts a TCP connection; rejects after `timeoutMs`. */
export async function waitForPort (port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('exited before listening')
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port })
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`port ${port} not listening after ${timeoutMs} ms`)
}

async function main (): Promise<void> {
  const binary = mosquittoBinary()
  if (binary === undefined) {
    console.error('mosquitto is not installed (apt-get install -y mosquitto)')
    process.exit(1)
  }
  const window = process.argv.indexOf('--window')
  const maxInflight = window >= 0 ? Number(process.argv[window + 1]) : 64
  const launch = await prepareMosquitto(binary, { port: requestedPort(), maxInflight })
  const child = spawn(launch.command, [...launch.args], { stdio: ['ignore', 'inherit', 'inherit'] })
  let alive = true
  child.on('exit', (code) => { alive = false; launch.cleanup(); process.exit(code ?? 1) })
  const stop = (): void => { if (child.pid !== undefined && alive) process.kill(child.pid, 'SIGTERM') }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  await waitForPort(launch.port, 10_000, () => alive)
  process.stdout.write(`READY ${launch.port} pid=${child.pid ?? '?'}\n`)
}

const entry = process.argv[1]
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) await main()
