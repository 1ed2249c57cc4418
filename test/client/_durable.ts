/**
 * Helpers for the restart tests: the durable client store across a killed process: the client runs in a child process on an
 * lmdb store, is killed (SIGKILL) at one step of a QoS 2 handshake, and is started again on the
 * same store with the same client id. Outbound: the in-flight publication completes and is
 * delivered exactly once. Inbound: the application (a log file) gets the message exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ExecutionContext } from 'ava'
import { cuttingProxy, type Cut } from './_proxy.js'
import { take, withBroker, within } from './_helpers.js'

const CHILD = join(dirname(fileURLToPath(import.meta.url)), '_durable-child.ts')

interface Child { readonly process: ChildProcess, readonly lines: string[], readonly exited: Promise<number | null>, readonly stderr: () => string, waitFor: (line: string) => Promise<void> }

export function start (t: ExecutionContext, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const lines: string[] = []
  const waiters: Array<() => void> = []
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdout?.on('data', (d: Buffer) => {
    lines.push(...d.toString().split('\n').filter(l => l !== ''))
    for (const w of waiters.splice(0)) w()
  })
  const exited = new Promise<number | null>(resolve => { child.once('exit', code => resolve(code)) })
  return {
    process: child,
    lines,
    exited,
    stderr: () => stderr,
    waitFor: async (line) => {
      await within(new Promise<void>((resolve, reject) => {
        const check = (): void => { if (lines.includes(line)) resolve(); else waiters.push(check) }
        child.once('exit', code => { if (!lines.includes(line)) reject(new Error(`child exited (${String(code)}) before '${line}': ${stderr.slice(0, 500)}`)) })
        check()
      }), 15000, `child '${line}'`)
    }
  }
}

export function tempDir (t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-durable-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

export async function killedAt (t: ExecutionContext, cut: Cut, mode: 'publish' | 'subscribe'): Promise<{ watcherGot: string[], log: string[] }> {
  const h = await withBroker(t)
  let victim: ChildProcess | undefined
  const proxy = await cuttingProxy(t, h.port, cut, () => { victim?.kill('SIGKILL') })
  const dir = tempDir(t)
  const env = { URL: proxy.url, STORE: join(dir, 'store'), CLIENT_ID: `durable-${mode}`, QOS: '2', LOG: join(dir, 'app.log') }
  const watcher = await h.client()
  const sub = await watcher.subscribe('dur/pub', { qos: 2 })
  const first = start(t, { ...env, MODE: mode })
  victim = first.process
  await first.waitFor('connected')
  if (mode === 'subscribe') {
    await first.waitFor('subscribed')
    await watcher.publish('dur/sub', 'the message', { qos: 2 })
  }
  await within(first.exited, 15000, 'the kill')
  t.true(proxy.cut)
  const second = start(t, { ...env, MODE: mode === 'publish' ? 'resume' : 'subscribe-resume' })
  await second.waitFor('connected')
  if (mode === 'publish') {
    await second.waitFor('drained')
    await watcher.publish('dur/pub', 'marker', { qos: 2 })
    const got = (await within(take(sub, 2))).map(m => m.payload.toString())
    return { watcherGot: got, log: [] }
  }
  await watcher.publish('dur/sub', 'marker', { qos: 2 })
  await within((async () => { while (!(existsSync(env.LOG) && readFileSync(env.LOG, 'utf8').includes('marker'))) await new Promise(resolve => setTimeout(resolve, 10)) })(), 15000, 'marker in the log')
  return { watcherGot: [], log: readFileSync(env.LOG, 'utf8').split('\n').filter(l => l !== '') }
}

