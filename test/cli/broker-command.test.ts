import test from 'ava'
import { EventEmitter } from 'node:events'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Broker, ListenerAddress } from '../../lib/broker/api.js'
import type { BrokerOptions, ListenOptions, TlsListenOptions, WebSocketListenOptions } from '../../lib/broker/options.js'
import { InvalidArgumentError } from '../../lib/core/errors.js'
import { runBrokerCommand } from '../../lib/cli/broker-command.js'
import type { BrokerCommandDeps, RunningBroker } from '../../lib/cli/broker-command.js'
import { defaultHost } from '../../lib/cli/broker-config.js'
import { hashPassword } from '../../lib/broker/auth/password-file.js'
import { MemoryBackend } from '../../lib/persistence/memory.js'
import type { LmdbOptions } from '../../lib/persistence/lmdb.js'
import { StorageError } from '../../lib/core/errors.js'

type Call = ['listen', ListenOptions | undefined] | ['listenTls', TlsListenOptions] | ['listenWebSocket', WebSocketListenOptions | undefined] | ['close']

interface Harness {
  deps: BrokerCommandDeps
  created: BrokerOptions[]
  calls: Call[]
  out: string[]
  err: string[]
  logs: string[]
  exits: number[]
  /** Data directories the command opened a store in. */
  stores: string[]
  storeOptions: LmdbOptions[]
}

/** A fake createBroker that records what it was asked; `fail` makes a listener reject. */
function harness (fail?: Partial<Record<'listen' | 'listenTls' | 'listenWebSocket', (o: ListenOptions | undefined) => Promise<ListenerAddress>>>): Harness {
  const h: Harness = { created: [], calls: [], out: [], err: [], logs: [], exits: [], stores: [], storeOptions: [], deps: undefined as unknown as BrokerCommandDeps }
  const address = (protocol: ListenerAddress['protocol'], o: ListenOptions | undefined): ListenerAddress =>
    ({ protocol, host: o?.host ?? '0.0.0.0', port: o?.port === 0 ? 40000 : o?.port ?? 1883 })
  const createBroker = (options: BrokerOptions): Broker => {
    h.created.push(options)
    return {
      listen: async o => { h.calls.push(['listen', o]); return await (fail?.listen?.(o) ?? address('mqtt', o)) },
      listenTls: async o => { h.calls.push(['listenTls', o]); return await (fail?.listenTls?.(o) ?? address('mqtts', o)) },
      listenWebSocket: async o => { h.calls.push(['listenWebSocket', o]); return await (fail?.listenWebSocket?.(o) ?? address('ws', o)) },
      handle: () => {},
      close: async () => { h.calls.push(['close']) },
      addresses: [],
      ready: Promise.resolve()
    }
  }
  h.deps = {
    createBroker,
    out: line => h.out.push(line),
    err: line => h.err.push(line),
    logStream: { write: (s: string) => { h.logs.push(s) } },
    exit: code => h.exits.push(code),
    signals: false,
    defaultHost: () => '0.0.0.0',
    openPersistence: async store => { h.stores.push(store.path); h.storeOptions.push(store); return new MemoryBackend() }
  }
  return h
}

async function run (h: Harness, argv: string[]): Promise<RunningBroker> {
  const result = await runBrokerCommand(argv, h.deps)
  if (typeof result === 'number') throw new Error(`exited with ${result}`)
  return result
}

async function tempDir (t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'qosmos-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('with no flags: one MQTT listener on port 1883, info logs, no hooks', async t => {
  const h = harness()
  const running = await run(h, [])
  t.deepEqual(h.calls, [['listen', { port: 1883, host: '0.0.0.0' }]])
  t.deepEqual(h.out, ['qosmos broker listening on mqtt://0.0.0.0:1883'])
  t.is(h.created.length, 1)
  t.is(h.created[0]?.hooks, undefined)
  t.is(running.config.logLevel, 'info')
  t.true(h.logs.some(l => JSON.parse(l).msg === 'broker started'))
})

test('the default host is :: when IPv6 is available, else 0.0.0.0', t => {
  t.true(['::', '0.0.0.0'].includes(defaultHost()))
})

test('IPv6 listen addresses are printed in brackets', async t => {
  const h = harness()
  await run(h, ['--host', '::', '-p', '0'])
  t.deepEqual(h.out, ['qosmos broker listening on mqtt://[::]:40000'])
})

test('flags become BrokerOptions limits and listeners (TCP, TLS, WebSocket), in that order', async t => {
  const dir = await tempDir(t)
  for (const f of ['key.pem', 'cert.pem', 'ca.pem']) await writeFile(join(dir, f), `-----${f}-----`)
  const h = harness()
  await run(h, [
    '--port', '1884', '--host', '127.0.0.1', '--tls-port=8883', '--key', join(dir, 'key.pem'), '--cert', join(dir, 'cert.pem'),
    '--ca', join(dir, 'ca.pem'), '--require-cert', '--ws-port', '8080', '--max-keepalive', '60', '--max-packet-size', '4096',
    '--max-queued-messages', '10', '--max-queued-bytes', '100000', '--receive-maximum', '20', '--max-qos', '1', '--no-retain',
    '--sys-interval', '0', '--log-level', 'silent'
  ])
  const options = h.created[0] as BrokerOptions
  t.like(options, { maxKeepAlive: 60, maxPacketSize: 4096, maxQueuedMessages: 10, maxQueuedBytes: 100000, receiveMaximum: 20, maximumQoS: 1, retainAvailable: false, sysInterval: 0 })
  t.is(h.calls[0]?.[0], 'listen')
  t.deepEqual(h.calls[0]?.[1], { port: 1884, host: '127.0.0.1' })
  const tls = h.calls[1]?.[1] as TlsListenOptions
  t.is(h.calls[1]?.[0], 'listenTls')
  t.like(tls, { port: 8883, host: '127.0.0.1', requestCert: true, rejectUnauthorized: true })
  t.is(tls.key.toString(), '-----key.pem-----')
  t.is(tls.cert.toString(), '-----cert.pem-----')
  t.is(tls.ca?.toString(), '-----ca.pem-----')
  t.deepEqual(h.calls[2], ['listenWebSocket', { port: 8080, host: '127.0.0.1' }])
  t.deepEqual(h.out, [
    'qosmos broker listening on mqtt://127.0.0.1:1884',
    'qosmos broker listening on mqtts://127.0.0.1:8883',
    'qosmos broker listening on ws://127.0.0.1:8080'
  ])
  t.deepEqual(h.logs, [], 'silent logs nothing')
})

test('a bad flag is one InvalidArgumentError line and creates no broker', async t => {
  const h = harness()
  const cases: Array<[string[], string]> = [
    [['--prot', '1883'], 'qosmos broker: unknown option --prot (see qosmos broker --help)'],
    [['--port', 'x'], "qosmos broker: option --port must be an integer, got 'x' (see qosmos broker --help)"],
    [['--port', '70000'], 'qosmos broker: option --port must be an integer from 0 to 65535, got 70000 (see qosmos broker --help)'],
    [['--log-level', 'loud'], "qosmos broker: option --log-level must be one of fatal, error, warn, info, debug, trace, silent, got 'loud' (see qosmos broker --help)"],
    [['--max-qos', '3'], 'qosmos broker: option --max-qos must be an integer from 0 to 2, got 3 (see qosmos broker --help)'],
    [['--tls-port', '8883'], 'qosmos broker: --tls-port needs --key and --cert (see qosmos broker --help)'],
    [['--key', 'k.pem'], 'qosmos broker: --key given without --tls-port (see qosmos broker --help)'],
    [['--tls-port', '8883', '--key', 'k', '--cert', 'c', '--require-cert'], 'qosmos broker: --require-cert needs --ca (the CA that signs client certificates) (see qosmos broker --help)'],
    [['--ws-port', '1883'], 'qosmos broker: --port and --ws-port are both 1883 (see qosmos broker --help)'],
    [['--memory', '--data-dir', '/var/lib/qosmos'], 'qosmos broker: --memory and --data-dir exclude each other (see qosmos broker --help)'],
    [['extra'], "qosmos broker: unexpected argument 'extra' (see qosmos broker --help)"]
  ]
  for (const [argv, message] of cases) {
    const err = await t.throwsAsync(runBrokerCommand(argv, h.deps), { instanceOf: InvalidArgumentError }, argv.join(' '))
    t.is(err?.message, message)
  }
  t.is(h.created.length, 0)
})

test('an unreadable TLS file is one clear error', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'cert.pem'), 'cert')
  const h = harness()
  const err = await t.throwsAsync(runBrokerCommand(['--tls-port', '8883', '--key', join(dir, 'nope.pem'), '--cert', join(dir, 'cert.pem')], h.deps), { instanceOf: InvalidArgumentError })
  t.is(err?.message, `qosmos broker: cannot read --key ${join(dir, 'nope.pem')}: no such file (see qosmos broker --help)`)
  t.is(h.created.length, 0)
})

test('--help prints the usage, exits 0 and starts nothing', async t => {
  const h = harness()
  t.is(await runBrokerCommand(['--help'], h.deps), 0)
  t.regex(h.out.join('\n'), /^usage: qosmos broker \[options\]/)
  t.regex(h.out.join('\n'), /--password-file FILE/)
  t.is(h.created.length, 0)
})

test('a JSON config file: flag keys in camelCase, nested limits, paths relative to the file, flags win', async t => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'tls'))
  await writeFile(join(dir, 'tls', 'key.pem'), 'KEY')
  await writeFile(join(dir, 'tls', 'cert.pem'), 'CERT')
  await writeFile(join(dir, 'qosmos.json'), JSON.stringify({
    port: 1999, host: '127.0.0.1', tlsPort: 8883, key: 'tls/key.pem', cert: 'tls/cert.pem', maxQos: 1, logLevel: 'silent',
    limits: { topicAliasMaximum: 5, maximumQoS: 2, queueQos0Offline: true, receiveMaximum: 7 }
  }))
  const h = harness()
  const running = await run(h, ['--config', join(dir, 'qosmos.json'), '--port', '2000', '--receive-maximum', '9'])
  t.deepEqual(h.calls[0], ['listen', { port: 2000, host: '127.0.0.1' }], 'the flag wins over the file')
  t.like(h.created[0], { topicAliasMaximum: 5, maximumQoS: 1, queueQos0Offline: true, receiveMaximum: 9 })
  t.is((h.calls[1]?.[1] as TlsListenOptions).key.toString(), 'KEY', 'key path relative to the config file')
  t.is(running.config.tls?.cert, join(dir, 'tls', 'cert.pem'))
})

test('a YAML config file (.yaml and .yml), with the reserved dataDir passed through', async t => {
  const dir = await tempDir(t)
  const yaml = 'port: 1885\nwsPort: 9001\nnoRetain: true\nlogLevel: silent\ndataDir: ./data\nlimits:\n  maxSessionExpiryInterval: 3600\n'
  await writeFile(join(dir, 'qosmos.yaml'), yaml)
  await writeFile(join(dir, 'qosmos.yml'), '# empty: defaults\n')
  const h = harness()
  const running = await run(h, ['--config', join(dir, 'qosmos.yaml')])
  t.deepEqual(h.calls.map(c => c[0]), ['listen', 'listenWebSocket'])
  t.like(h.created[0], { retainAvailable: false, maxSessionExpiryInterval: 3600 })
  t.is(running.config.dataDir, join(dir, 'data'))
  t.false(running.config.memory)
  const h2 = harness()
  const plain = await run(h2, ['--config', join(dir, 'qosmos.yml'), '--memory', '--log-level', 'silent'])
  t.deepEqual(h2.calls, [['listen', { port: 1883, host: '0.0.0.0' }]])
  t.true(plain.config.memory)
  t.is(plain.config.dataDir, undefined)
})

test('config file errors name the file and the key', async t => {
  const dir = await tempDir(t)
  const cases: Array<[string, string, string]> = [
    ['a.json', '{"prot": 1883}', "unknown key 'prot'"],
    ['b.json', '{"limits": {"maxKeepalive": 5}}', "unknown key 'limits.maxKeepalive' (known: maxKeepAlive, receiveMaximum, maxPacketSize, topicAliasMaximum, maxQueuedMessages, maxQueuedBytes, queueQos0Offline, maxSessionExpiryInterval, maximumQoS, retainAvailable, maxInflight)"],
    ['c.json', '{"port": "1883"}', "'port' must be an integer from 0 to 65535"],
    ['d.yaml', 'port: 1.5\n', "'port' must be an integer from 0 to 65535"],
    ['e.yaml', 'requireCert: yes please\n', "'requireCert' must be true or false"],
    ['f.json', '{"port": 1883,', 'invalid JSON: '],
    ['g.yaml', '- 1\n- 2\n', 'the top level must be an object of options'],
    ['h.toml', 'port = 1', 'the file name must end in .json, .yaml or .yml'],
    ['i.json', '{"config": "x.json"}', "unknown key 'config'"],
    ['j.json', '{"limits": {"maximumQoS": 3}}', "'limits.maximumQoS' in config"]
  ]
  for (const [name, text, problem] of cases) {
    const file = join(dir, name)
    await writeFile(file, text)
    const err = await t.throwsAsync(runBrokerCommand(['--config', file], harness().deps), { instanceOf: InvalidArgumentError }, name)
    t.true(err?.message.startsWith(`qosmos broker: config ${file}: ${problem}`) === true || err?.message.startsWith(`qosmos broker: ${problem}`) === true, `${name}: ${err?.message ?? ''}`)
    t.false(err?.message.includes('\n') ?? true)
  }
  const missing = await t.throwsAsync(runBrokerCommand(['--config', join(dir, 'none.yaml')], harness().deps), { instanceOf: InvalidArgumentError })
  t.is(missing?.message, `qosmos broker: cannot read config file ${join(dir, 'none.yaml')}: no such file (see qosmos broker --help)`)
})

test('--password-file and --acl-file become the authenticate and authorize hooks', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'passwords'), `alice:${await hashPassword('pw', { N: 1024, r: 8, p: 1 })}\n`)
  await writeFile(join(dir, 'acl'), 'user alice\ntopic readwrite alice/#\n')
  const h = harness()
  await run(h, ['--password-file', join(dir, 'passwords'), '--acl-file', join(dir, 'acl'), '--log-level', 'silent'])
  const hooks = h.created[0]?.hooks
  const client = { clientId: 'c', username: 'alice', protocolVersion: 5 as const, remoteAddress: undefined, certificate: undefined }
  t.is(await hooks?.authenticate?.({ ...client, password: Buffer.from('pw') }), true)
  t.like(await hooks?.authenticate?.({ ...client, password: Buffer.from('no') }), { reasonCode: 0x86 })
  t.is(await hooks?.authorizePublish?.(client, { topic: 'alice/x', payload: Buffer.alloc(0), qos: 0, retain: false }), true)
  t.like(await hooks?.authorizeSubscribe?.(client, { topicFilter: 'bob/#', qos: 1 }), { reasonCode: 0x87 })
  t.false(await hooks?.authorizeForward?.(client, { topic: 'bob/x', payload: Buffer.alloc(0), qos: 0, retain: false }))

  await writeFile(join(dir, 'bad-acl'), 'user alice\ntopic readwrite a/#/b\n')
  const err = await t.throwsAsync(runBrokerCommand(['--acl-file', join(dir, 'bad-acl')], harness().deps), { instanceOf: InvalidArgumentError })
  t.is(err?.message, `qosmos broker: ${join(dir, 'bad-acl')}:2: invalid topic 'a/#/b': '#' must be a whole level and the last one`)
})

test('a port already in use: one line, exit code 1, and the broker is closed', async t => {
  const busy: Server = createServer()
  await new Promise<void>(resolve => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => busy.close())
  const port = (busy.address() as { port: number }).port
  // The fake listens for real, so the error is the one node gives.
  const h = harness({
    listen: async o => await new Promise<ListenerAddress>((resolve, reject) => {
      const s = createServer()
      s.once('error', reject)
      s.listen(o?.port, o?.host, () => { s.close(); resolve({ protocol: 'mqtt', host: o?.host ?? '', port: o?.port ?? 0 }) })
    })
  })
  const code = await runBrokerCommand(['--host', '127.0.0.1', '--port', String(port), '--log-level', 'silent'], h.deps)
  t.is(code, 1)
  t.deepEqual(h.err, [`qosmos broker: cannot listen on mqtt://127.0.0.1:${port}: address already in use`])
  t.deepEqual(h.out, [])
  t.deepEqual(h.calls.at(-1), ['close'])
})

test('a later listener failing closes the broker too', async t => {
  const h = harness({ listenWebSocket: async () => { throw Object.assign(new Error('listen EACCES'), { code: 'EACCES' }) } })
  t.is(await runBrokerCommand(['--ws-port', '80', '--log-level', 'silent'], h.deps), 1)
  t.deepEqual(h.err, ['qosmos broker: cannot listen on ws://0.0.0.0:80: permission denied'])
  t.deepEqual(h.calls.map(c => c[0]), ['listen', 'listenWebSocket', 'close'])
})

test('SIGINT closes the broker and exits 0; a second signal exits at once', async t => {
  const signals = new EventEmitter()
  const h = harness()
  let finishClose: () => void = () => {}
  const running = await run({ ...h, deps: { ...h.deps, signals, createBroker: options => {
    const b = h.deps.createBroker(options) as Broker
    return { ...b, close: async () => { h.calls.push(['close']); await new Promise<void>(resolve => { finishClose = resolve }) } }
  } } }, ['--log-level', 'silent'])
  t.is(signals.listenerCount('SIGINT'), 1)
  t.is(signals.listenerCount('SIGTERM'), 1)
  signals.emit('SIGINT')
  await new Promise(resolve => setImmediate(resolve))
  t.deepEqual(h.calls.map(c => c[0]), ['listen', 'close'])
  t.deepEqual(h.exits, [], 'waits for close')
  signals.emit('SIGTERM')
  t.deepEqual(h.exits, [143], 'the second signal does not wait')
  finishClose()
  await running.shutdown()
  t.deepEqual(h.exits, [143], 'the process exits once')
  t.is(signals.listenerCount('SIGINT'), 0, 'handlers removed after close')
})

test('shutdown() is what the signal handlers run: close, then exit 0, or 1 when close fails', async t => {
  const h = harness()
  const running = await run(h, ['--log-level', 'silent'])
  await running.shutdown('SIGINT')
  t.deepEqual(h.calls.map(c => c[0]), ['listen', 'close'])
  t.deepEqual(h.exits, [0])

  const failing = harness()
  const r2 = await run({ ...failing, deps: { ...failing.deps, createBroker: o => ({ ...(failing.deps.createBroker(o) as Broker), close: async () => { throw new Error('disk full') } }) } }, ['--log-level', 'silent'])
  await r2.shutdown('SIGTERM')
  t.deepEqual(failing.exits, [1])
})

test('state is durable by default in ./qosmos-data; --data-dir moves it; --memory keeps none', async t => {
  const h1 = harness()
  const a = await run(h1, ['--log-level', 'silent'])
  t.deepEqual(h1.stores, [join(process.cwd(), 'qosmos-data')])
  t.true(a.options.persistence instanceof MemoryBackend)
  const h2 = harness()
  await run(h2, ['--log-level', 'silent', '--data-dir', '/var/tmp/q'])
  t.deepEqual(h2.stores, ['/var/tmp/q'])
  const h3 = harness()
  const c = await run(h3, ['--log-level', 'silent', '--memory'])
  t.deepEqual(h3.stores, [])
  t.is(c.options.persistence, undefined)
})

test('--min-free-disk sets the free space the store keeps on its disk; without it the store\'s default applies; with --memory it is refused', async t => {
  const h1 = harness()
  await run(h1, ['--log-level', 'silent', '--data-dir', '/var/tmp/q', '--min-free-disk', '1048576'])
  t.deepEqual(h1.storeOptions, [{ path: '/var/tmp/q', minFreeBytes: 1048576 }])
  const h2 = harness()
  await run(h2, ['--log-level', 'silent', '--data-dir', '/var/tmp/q'])
  t.deepEqual(h2.storeOptions, [{ path: '/var/tmp/q' }])
  const h3 = harness()
  const refused = await t.throwsAsync(runBrokerCommand(['--memory', '--min-free-disk', '0'], h3.deps), { instanceOf: InvalidArgumentError })
  t.is(refused?.message, 'qosmos broker: --min-free-disk is for the data directory; --memory keeps nothing on disk (see qosmos broker --help)')
  const bad = await t.throwsAsync(runBrokerCommand(['--min-free-disk', '-1'], h3.deps), { instanceOf: InvalidArgumentError })
  t.regex(bad?.message ?? '', /^qosmos broker: option --min-free-disk must be an integer from 0 to/)
  t.deepEqual(h3.stores, [])
})

test('a data directory that cannot be opened (locked, foreign) is one line on stderr and exit code 1, before any listener', async t => {
  const h = harness()
  h.deps = { ...h.deps, openPersistence: async store => { throw new StorageError(`the data directory ${store.path} is in use by process 4242`) } }
  t.is(await runBrokerCommand(['--log-level', 'silent', '--data-dir', '/srv/q'], h.deps), 1)
  t.deepEqual(h.err, ['qosmos broker: the data directory /srv/q is in use by process 4242'])
  t.deepEqual(h.calls, [])
  t.deepEqual(h.created, [])
})
