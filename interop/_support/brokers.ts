/**
 * Third-party brokers for the qosmos client's interop tests, one fresh broker per test:
 * Eclipse Mosquitto as a child process (its own config file in a temp dir, a free loopback port,
 * killed by PID in teardown) and aedes in this process on a node:net server.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Aedes } from 'aedes'
import type { Version } from './matrix.js'
import { missingReason, type Scope } from './peer.js'

export interface RunningBroker { readonly port: number }

export interface BrokerDriver {
  /** Matrix column id. */
  readonly id: string
  /** Short name for notes: 'mosquitto', 'aedes'. */
  readonly name: string
  readonly label: string
  /** The broker and its version, as this machine has it (shown in MATRIX.md). */
  readonly tool: string
  /** Protocol versions the broker speaks; the others are shown n/a after a test that shows the refusal. */
  readonly versions: readonly Version[]
  /** Why this broker cannot run here, decided when the test file loads; undefined when it can. */
  readonly missing: string | undefined
  /** Starts a broker on 127.0.0.1 that `scope` stops; resolves once its port accepts connections. */
  start: (scope: Scope) => Promise<RunningBroker>
}

const MOSQUITTO = '/usr/sbin/mosquitto'

async function freePort (): Promise<number> {
  const server: Server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { resolve() })
  })
  const address = server.address()
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return address.port
}

/** Resolves once a TCP connection to `port` succeeds; rejects when `alive()` turns false or after `ms`. */
async function accepting (port: number, alive: () => boolean, ms = 10000): Promise<void> {
  const until = Date.now() + ms
  for (;;) {
    const ok = await new Promise<boolean>(resolve => {
      const socket = connect({ port, host: '127.0.0.1' })
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { socket.destroy(); resolve(false) })
    })
    if (ok) return
    if (!alive()) throw new Error('the broker exited before its port accepted connections')
    if (Date.now() > until) throw new Error(`port ${port} did not accept connections within ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

function mosquittoVersion (): string {
  if (!existsSync(MOSQUITTO)) return '(unavailable)'
  const r = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8', timeout: 5000 })
  return /version (\S+)/.exec(r.stdout)?.[1] ?? 'unknown version'
}

const mosquittoMissing = missingReason('client-vs-mosquitto', () =>
  existsSync(MOSQUITTO) ? undefined : `${MOSQUITTO} not installed (Debian package mosquitto)`)

export const mosquittoBroker: BrokerDriver = {
  id: 'client-vs-mosquitto',
  name: 'mosquitto',
  label: 'qosmos client vs mosquitto',
  tool: `Eclipse Mosquitto broker ${mosquittoMissing === undefined ? mosquittoVersion() : '(unavailable)'}`,
  versions: [4, 5],
  missing: mosquittoMissing,

  async start (scope) {
    const dir = mkdtempSync(join(tmpdir(), 'qosmos-mosquitto-'))
    scope.defer(() => { rmSync(dir, { recursive: true, force: true }) })
    // Another process may take the free port before mosquitto binds it: then mosquitto exits, and we try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const config = join(dir, `mosquitto-${port}.conf`)
      writeFileSync(config, [
        `listener ${port} 127.0.0.1`, // MQTT 3.1, 3.1.1 and 5.0 on one listener
        'allow_anonymous true',
        'persistence false',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        ''
      ].join('\n'))
      const proc = scope.spawn(MOSQUITTO, ['-c', config])
      try {
        await accepting(port, () => proc.running)
        return { port }
      } catch (error) {
        proc.kill('SIGKILL')
        if (attempt >= 3) throw new Error(`mosquitto did not start: ${(error as Error).message}; stderr: ${proc.stderr}`)
      }
    }
  }
}

// aedes exports no './package.json': read it next to its entry point.
const aedesEntry = createRequire(import.meta.url).resolve('aedes')
const { version: aedesVersion } = JSON.parse(readFileSync(join(dirname(aedesEntry), 'package.json'), 'utf8')) as { version: string }

export const aedesBroker: BrokerDriver = {
  id: 'client-vs-aedes',
  name: 'aedes',
  label: 'qosmos client vs aedes',
  tool: `aedes ${aedesVersion} (in-memory persistence)`,
  versions: [4], // aedes 1.x refuses protocol level 5 in CONNECT
  missing: missingReason('client-vs-aedes', () => undefined), // a devDependency: there after npm ci

  async start (scope) {
    const broker = await Aedes.createBroker()
    const server = createServer(broker.handle)
    scope.defer(async () => {
      await new Promise<void>(resolve => { broker.close(() => { resolve() }) })
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => { resolve() })
    })
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no TCP address')
    return { port: address.port }
  }
}
