import { MemoryBackend } from '../../lib/persistence/memory.js'
import test from 'ava'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Broker } from '../../lib/broker/api.js'
import { main } from '../../lib/cli/main.js'
import type { MainDeps } from '../../lib/cli/main.js'

function io (extra: Partial<MainDeps> = {}): { deps: MainDeps, out: string[], err: string[] } {
  const out: string[] = []
  const err: string[] = []
  return { out, err, deps: { out: l => out.push(l), err: l => err.push(l), ...extra } }
}

const fakeBroker: Broker = {
  listen: async o => ({ protocol: 'mqtt', host: o?.host ?? '', port: o?.port ?? 0 }),
  listenTls: async o => ({ protocol: 'mqtts', host: o.host ?? '', port: o.port ?? 0 }),
  listenWebSocket: async o => ({ protocol: 'ws', host: o?.host ?? '', port: o?.port ?? 0 }),
  handle: () => {},
  close: async () => {},
  addresses: [],
  ready: Promise.resolve()
}

test('help, no command and --help print the command list and give 0', async t => {
  for (const argv of [[], ['help'], ['--help'], ['-h']]) {
    const { deps, out } = io()
    t.is(await main(argv, deps), 0)
    t.regex(out.join('\n'), /commands:\n {2}broker .*\n {2}passwd /)
  }
  const { deps, out } = io()
  t.is(await main(['help', 'passwd'], deps), 0)
  t.regex(out.join('\n'), /^usage: qosmos passwd/)
})

test('an unknown command is one line on stderr and exit code 2', async t => {
  const { deps, out, err } = io()
  t.is(await main(['publish', '-t', 'a'], deps), 2)
  t.deepEqual(err, ["qosmos: unknown command 'publish' (try 'qosmos help')"])
  t.deepEqual(out, [])
})

test('a usage error of a command prints exactly its one line and gives 2', async t => {
  const { deps, err } = io({ broker: { createBroker: () => fakeBroker } })
  t.is(await main(['broker', '--prot', '1883'], deps), 2)
  t.deepEqual(err, ['qosmos broker: unknown option --prot (see qosmos broker --help)'])
})

test('qosmos broker keeps running (undefined exit code) and prints its listeners', async t => {
  const { deps, out } = io({ broker: { createBroker: () => fakeBroker, openPersistence: async () => new MemoryBackend(), signals: false, logStream: { write: () => {} }, defaultHost: () => '0.0.0.0' } })
  t.is(await main(['broker', '-p', '1999'], deps), undefined)
  t.deepEqual(out, ['qosmos broker listening on mqtt://0.0.0.0:1999'])
})

test('qosmos broker: a listener failure gives 1', async t => {
  const failing: Broker = { ...fakeBroker, listen: async () => { throw Object.assign(new Error('x'), { code: 'EADDRINUSE' }) } }
  const { deps, err } = io({ broker: { createBroker: () => failing, openPersistence: async () => new MemoryBackend(), signals: false, logStream: { write: () => {} }, defaultHost: () => '0.0.0.0' } })
  t.is(await main(['broker'], deps), 1)
  t.deepEqual(err, ['qosmos broker: cannot listen on mqtt://0.0.0.0:1883: address already in use'])
})

test('qosmos passwd is dispatched', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'qosmos-main-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const { deps } = io({ passwd: { scrypt: { N: 1024, r: 8, p: 1 } } })
  t.is(await main(['passwd', join(dir, 'pw'), 'alice', '-b', 'secret'], deps), 0)
  t.regex(await readFile(join(dir, 'pw'), 'utf8'), /^alice:\$scrypt\$1024\$8\$1\$/)
})
