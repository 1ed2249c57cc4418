import { Readable } from 'node:stream'
import { createServer } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { createBroker } from '../../lib/broker/index.js'
import type { BrokerOptions } from '../../lib/broker/options.js'
import { main, type MainDeps } from '../../lib/cli/main.js'

interface Run { code: number | undefined, out: string[], err: string[] }

async function run (argv: string[], client: MainDeps['client'] = {}): Promise<Run> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, { out: l => out.push(l), err: l => err.push(l), client: { stopped: new Promise<void>(() => {}), ...client } })
  return { code, out, err }
}

async function broker (t: ExecutionContext, options: BrokerOptions = {}): Promise<string> {
  const b = createBroker(options)
  const { port } = await b.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(async () => { await b.close() })
  return String(port)
}

/** Starts `qosmos sub`, then returns once its subscription is in place (it prints the debug line). */
async function startSub (argv: string[]): Promise<{ done: Promise<Run> }> {
  let ready: () => void = () => {}
  const subscribed = new Promise<void>(resolve => { ready = resolve })
  const out: string[] = []
  const err: string[] = []
  const done = main([...argv, '-d'], {
    out: l => out.push(l),
    err: l => { if (l.startsWith('debug: subscribed')) ready(); else err.push(l) },
    client: { stopped: new Promise<void>(() => {}) }
  }).then(code => ({ code, out, err }))
  await Promise.race([subscribed, done])
  return { done }
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>(resolve => server.close(() => resolve()))
  return typeof address === 'object' && address !== null ? address.port : 1
}

test('pub -m at QoS 0, 1 and 2 reaches sub -v -C 3, which then exits 0', async t => {
  const port = await broker(t)
  const sub = await startSub(['sub', '-h', '127.0.0.1', '-p', port, '-t', 'cli/#', '-q', '2', '-v', '-C', '3'])
  for (const qos of ['0', '1', '2']) {
    const r = await run(['pub', '-h', '127.0.0.1', '-p', port, '-t', `cli/${qos}`, '-m', `hello ${qos}`, '-q', qos])
    t.deepEqual([r.code, r.err], [0, []])
  }
  const s = await sub.done
  t.is(s.code, 0)
  t.deepEqual(s.out, ['cli/0 hello 0', 'cli/1 hello 1', 'cli/2 hello 2'])
})

test('pub -l sends each stdin line; -f sends a file; -n an empty message; -r retains (-V mqttv311)', async t => {
  const port = await broker(t)
  const dir = await mkdtemp(join(tmpdir(), 'qosmos-cli-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const file = join(dir, 'payload.txt')
  await writeFile(file, 'from a file')
  const sub = await startSub(['sub', '-p', port, '-h', '127.0.0.1', '-t', 'l/#', '-C', '4', '-V', 'mqttv311'])
  const lines = await run(['pub', '-p', port, '-h', '127.0.0.1', '-t', 'l/lines', '-l', '-q', '1', '-V', 'mqttv311'], { stdin: Readable.from(['first\nsec', 'ond\n']) })
  t.is(lines.code, 0)
  t.is((await run(['pub', '-p', port, '-h', '127.0.0.1', '-t', 'l/file', '-f', file])).code, 0)
  t.is((await run(['pub', '-p', port, '-h', '127.0.0.1', '-t', 'l/null', '-n', '-r'])).code, 0)
  t.deepEqual((await sub.done).out, ['first', 'second', 'from a file', ''])
  // The retained empty message cleared nothing and retains nothing (an empty retained message deletes).
  const later = await run(['pub', '-p', port, '-h', '127.0.0.1', '-t', 'l/keep', '-m', 'kept', '-r'])
  t.is(later.code, 0)
  const retained = await run(['sub', '-p', port, '-h', '127.0.0.1', '-t', 'l/keep', '-C', '1'])
  t.deepEqual([retained.code, retained.out, retained.err], [0, ['kept'], []])
  const skip = await run(['sub', '-p', port, '-h', '127.0.0.1', '-t', 'l/keep', '-R', '-W', '1'])
  t.deepEqual([skip.code, skip.out], [27, []])
})

test('-L mqtt://host:port/topic gives host, port and topic', async t => {
  const port = await broker(t)
  const sub = await startSub(['sub', '-L', `mqtt://127.0.0.1:${port}/url/topic`, '-C', '1'])
  t.is((await run(['pub', '-L', `mqtt://127.0.0.1:${port}/url/topic`, '-m', 'via url'])).code, 0)
  t.deepEqual((await sub.done).out, ['via url'])
})

test('a bad flag is one line on stderr and exit code 2; -h is the host and --help the usage', async t => {
  const bad = await run(['pub', '-t', 'a', '-m', 'x', '--bogus'])
  t.deepEqual([bad.code, bad.err], [2, ['qosmos pub: unknown option --bogus (see qosmos pub --help)']])
  const qos = await run(['sub', '-t', 'a', '-q', '3'])
  t.deepEqual([qos.code, qos.err], [2, ['qosmos sub: option -q must be an integer from 0 to 2, got 3 (see qosmos sub --help)']])
  const none = await run(['pub', '-t', 'a'])
  t.deepEqual([none.code, none.err], [2, ['qosmos pub: one of -m, -f, -l, -s or -n is needed (see qosmos pub --help)']])
  const help = await run(['pub', '--help'])
  t.is(help.code, 0)
  t.regex(help.out.join('\n'), /-h, --host HOST/)
})

test('an unreachable broker is one line on stderr and exit code 1', async t => {
  const port = String(await freePort())
  for (const command of ['pub', 'sub']) {
    const r = await run([command, '-h', '127.0.0.1', '-p', port, '-t', 't', ...(command === 'pub' ? ['-m', 'x'] : [])])
    t.is(r.code, 1)
    t.is(r.err.length, 1)
    t.regex(r.err[0] ?? '', new RegExp(`^qosmos ${command}: cannot connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`))
  }
})

test('a refused connection is one line naming the reason, exit code 1 (v5 reason code, v3.1.1 return code)', async t => {
  const port = await broker(t, { hooks: { authenticate: ({ username }) => username === 'ok' ? true : { reasonCode: 0x86 } } })
  const v5 = await run(['pub', '-h', '127.0.0.1', '-p', port, '-t', 't', '-m', 'x', '-u', 'nobody', '-P', 'pw'])
  t.deepEqual([v5.code, v5.err], [1, [`qosmos pub: connection refused by 127.0.0.1:${port}: bad user name or password (reason code 0x86)`]])
  const v4 = await run(['sub', '-h', '127.0.0.1', '-p', port, '-t', 't', '-u', 'nobody', '-V', 'mqttv311'])
  t.deepEqual([v4.code, v4.err], [1, [`qosmos sub: connection refused by 127.0.0.1:${port}: bad user name or password (return code 4)`]])
  t.is((await run(['pub', '-h', '127.0.0.1', '-p', port, '-t', 't', '-m', 'x', '-u', 'ok'])).code, 0)
})

test('a refused publication (v5 PUBACK 0x87) exits 1 with the reason code; a refused subscription too', async t => {
  const port = await broker(t, {
    hooks: {
      authorizePublish: () => ({ reasonCode: 0x87 }),
      authorizeSubscribe: () => ({ reasonCode: 0x87 })
    }
  })
  const pub = await run(['pub', '-h', '127.0.0.1', '-p', port, '-t', 't', '-m', 'x', '-q', '1'])
  t.deepEqual([pub.code, pub.err], [1, ['qosmos pub: publication refused with reason code 0x87']])
  const sub = await run(['sub', '-h', '127.0.0.1', '-p', port, '-t', 't'])
  t.is(sub.code, 1)
  t.regex(sub.err[0] ?? '', /^qosmos sub: subscription refused: .*0x87/)
})
