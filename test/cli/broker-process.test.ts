/**
 * `qosmos broker` as a process: the data directory is locked against a second broker, and
 * state (retained messages, persistent sessions) survives a SIGTERM and a restart.
 */
import test from 'ava'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'

const RUN = join(import.meta.dirname, '_run-main.ts')

interface Running { child: ChildProcess, port: number, exited: Promise<number | null> }

function startCli (args: string[]): { child: ChildProcess, exited: Promise<number | null>, output: () => string, listening: Promise<number> } {
  const child = spawn(process.execPath, ['--import=tsx', RUN, 'broker', '--host', '127.0.0.1', '--port', '0', '--log-level', 'silent', '--sys-interval', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise<number | null>(resolve => child.once('exit', code => { resolve(code) }))
  const listening = new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const m = /listening on mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m !== null) resolve(Number(m[1]))
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    void exited.then(code => { reject(new Error(`exited with ${String(code)}: ${out}`)) })
    setTimeout(() => { reject(new Error(`not listening after 20 s: ${out}`)) }, 20_000)
  })
  listening.catch(() => {})
  return { child, exited, output: () => out, listening }
}

async function start (dir: string): Promise<Running> {
  const cli = startCli(['--data-dir', dir])
  const port = await cli.listening
  return { child: cli.child, port, exited: cli.exited }
}

const dirs: string[] = []
const children: ChildProcess[] = []
test.after.always(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

test('a second broker on the same data directory refuses to start with one line and exit code 1', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-cli-'))
  dirs.push(dir)
  const first = await start(dir)
  children.push(first.child)
  const second = startCli(['--data-dir', dir])
  children.push(second.child)
  t.is(await second.exited, 1)
  t.regex(second.output(), new RegExp(`qosmos broker: the data directory .* is in use by process ${first.child.pid ?? 0}`))
  first.child.kill('SIGTERM')
  t.is(await first.exited, 0)
})

test('retained messages and a persistent session survive SIGTERM and a restart on the same data directory', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-cli-'))
  dirs.push(dir)
  const first = await start(dir)
  children.push(first.child)
  const url = (port: number): string => `mqtt://127.0.0.1:${port}`
  const sub = await mqtt.connectAsync(url(first.port), { protocolVersion: 5, clientId: 'durable-sub', clean: false, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 0 })
  await sub.subscribeAsync('cli/#', { qos: 1 })
  await sub.endAsync()
  const pub = await mqtt.connectAsync(url(first.port), { protocolVersion: 5, reconnectPeriod: 0 })
  await pub.publishAsync('cli/retained', 'kept', { qos: 1, retain: true })
  await pub.publishAsync('cli/queued', 'waiting', { qos: 1 })
  await pub.endAsync()
  first.child.kill('SIGTERM')
  t.is(await first.exited, 0)

  const second = await start(dir)
  children.push(second.child)
  try {
    const got: string[] = []
    const back = mqtt.connect(url(second.port), { protocolVersion: 5, clientId: 'durable-sub', clean: false, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 0 })
    back.on('message', (topic, payload) => { got.push(`${topic}=${payload.toString()}`) })
    const present = await new Promise<boolean>((resolve, reject) => {
      back.once('connect', ack => { resolve(ack.sessionPresent) })
      back.once('error', reject)
    })
    t.true(present)
    const fresh = await mqtt.connectAsync(url(second.port), { protocolVersion: 4, reconnectPeriod: 0 })
    const retained = new Promise<string>(resolve => fresh.once('message', (topic, payload) => { resolve(`${topic}=${payload.toString()}`) }))
    await fresh.subscribeAsync('cli/retained', { qos: 1 })
    t.is(await retained, 'cli/retained=kept')
    for (let i = 0; i < 50 && !got.includes('cli/queued=waiting'); i++) await new Promise(resolve => setTimeout(resolve, 20))
    t.true(got.includes('cli/queued=waiting'), got.join(', '))
    await fresh.endAsync()
    await back.endAsync()
  } finally {
    second.child.kill('SIGTERM')
    t.is(await second.exited, 0)
  }
})
