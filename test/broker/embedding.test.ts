/**
 * The embedding API: any duplex through `handle` (the in-memory pair), typed events,
 * diagnostics channels, TLS with client certificates, WebSocket on an existing http server,
 * $SYS topics, and `close()` telling v5 clients 0x8B.
 */
import test from 'ava'
import diagnostics from 'node:diagnostics_channel'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { createBroker, createMemoryPair } from '../../lib/broker/index.js'
import type { ClientInfo } from '../../lib/broker/options.js'
import { ManualClock } from '../../lib/core/clock.js'
import { InvalidArgumentError } from '../../lib/core/errors.js'
import { encode, PacketDecoder } from '../../lib/protocol/index.js'
import type { Packet } from '../../lib/protocol/packets.js'
import { QOS_TRANSITION_CHANNEL } from '../../lib/session/diagnostics.js'
import { startBroker } from '../../spec-tests/_harness/broker.js'

test('handle() serves MQTT over any duplex: the in-memory pair carries CONNECT, SUBSCRIBE and PUBLISH', async t => {
  const broker = createBroker()
  const [server, client] = createMemoryPair()
  broker.handle(server)
  const decoder = new PacketDecoder({ protocolVersion: 5 })
  const received: Packet[] = []
  client.on('data', (chunk: Buffer) => { received.push(...decoder.push(chunk).packets) })
  const waitFor = async (n: number): Promise<void> => { for (let i = 0; i < 100 && received.length < n; i++) await new Promise(resolve => setTimeout(resolve, 5)) }
  client.write(encode({ type: 'connect', protocolVersion: 5, protocolName: 'MQTT', clientId: 'mem', clean: true, keepAlive: 0 }, 5))
  client.write(encode({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'm', qos: 1 }] }, 5))
  client.write(encode({ type: 'publish', topic: 'm', payload: Buffer.from('hi'), qos: 0, retain: false, dup: false }, 5))
  await waitFor(3)
  t.deepEqual(received.map(p => p.type), ['connack', 'suback', 'publish'])
  await broker.close()
})

test('the match cache (on by default) follows every subscription change: a warmed topic reaches a new subscriber and not an unsubscribed one', async t => {
  t.throws(() => createBroker({ matchCacheSize: -1 }), { instanceOf: InvalidArgumentError })
  for (const options of [{}, { matchCacheSize: 0 }]) {
    const broker = createBroker(options)
    const open = (clientId: string): { write: (p: Packet) => void, received: Packet[] } => {
      const [server, client] = createMemoryPair()
      broker.handle(server)
      const decoder = new PacketDecoder({ protocolVersion: 5 })
      const received: Packet[] = []
      client.on('data', (chunk: Buffer) => { received.push(...decoder.push(chunk).packets) })
      const write = (p: Packet): void => { client.write(encode(p, 5)) }
      write({ type: 'connect', protocolVersion: 5, protocolName: 'MQTT', clientId, clean: true, keepAlive: 0 })
      return { write, received }
    }
    const settle = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, 20)) }
    const publish = (p: ReturnType<typeof open>, text: string): void => { p.write({ type: 'publish', topic: 'm/1', payload: Buffer.from(text), qos: 0, retain: false, dup: false }) }
    const texts = (c: ReturnType<typeof open>): string[] => c.received.flatMap(p => p.type === 'publish' ? [p.payload.toString()] : [])
    const a = open('a')
    const b = open('b')
    a.write({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'm/+', qos: 0 }] })
    await settle()
    for (const text of ['1', '2', '3']) publish(b, text) // 'm/1' is now a cached match
    await settle()
    b.write({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'm/#', qos: 0 }] })
    await settle()
    publish(a, '4')
    await settle()
    a.write({ type: 'unsubscribe', packetId: 2, topicFilters: ['m/+'] })
    await settle()
    publish(b, '5')
    await settle()
    t.deepEqual(texts(a), ['1', '2', '3', '4'], JSON.stringify(options))
    t.deepEqual(texts(b), ['4', '5'], JSON.stringify(options))
    await broker.close()
  }
})

test('typed events tell connect, subscribe, publish, unsubscribe and disconnect, with the client', async t => {
  const b = await startBroker()
  const seen: string[] = []
  const broker = b.broker as ReturnType<typeof createBroker>
  broker.on('connect', (c: ClientInfo, present: boolean) => seen.push(`connect ${c.clientId} ${String(present)}`))
  broker.on('subscribe', (c: ClientInfo, subs) => seen.push(`subscribe ${c.clientId} ${subs.map(s => `${s.topicFilter}@${s.qos}`).join(',')}`))
  broker.on('publish', (m, c) => seen.push(`publish ${m.topic} from ${c?.clientId ?? '-'}`))
  broker.on('unsubscribe', (c: ClientInfo, filters) => seen.push(`unsubscribe ${c.clientId} ${filters.join(',')}`))
  broker.on('disconnect', (c: ClientInfo, reason) => seen.push(`disconnect ${c.clientId} ${reason === undefined ? 'clean' : 'lost'}`))
  try {
    const c = await b.connected(5, { clientId: 'ev' })
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'e/#', qos: 2 }] })
    await c.expect('suback')
    c.send({ type: 'publish', topic: 'e/1', payload: Buffer.from('x'), qos: 0, retain: false, dup: false })
    await c.expect('publish')
    c.send({ type: 'unsubscribe', packetId: 2, topicFilters: ['e/#'] })
    await c.expect('unsuback')
    await c.disconnect()
    const lost = await b.connected(4, { clientId: 'ev2' })
    lost.destroy()
    for (let i = 0; i < 100 && seen.length < 8; i++) await new Promise(resolve => setTimeout(resolve, 10))
    t.deepEqual(seen, [
      'connect ev false', 'subscribe ev e/#@2', 'publish e/1 from ev', 'unsubscribe ev e/#', 'disconnect ev clean',
      'connect ev2 false', 'disconnect ev2 lost'
    ])
  } finally { await b.close() }
})

test('diagnostics channels carry publishes and QoS transitions without any hook', async t => {
  const publishes: unknown[] = []
  const transitions: Array<{ from?: string, to?: string }> = []
  const onPublish = (m: unknown): void => { publishes.push(m) }
  const onTransition = (m: unknown): void => { transitions.push(m as { from?: string, to?: string }) }
  diagnostics.subscribe('qosmos:broker:publish', onPublish)
  diagnostics.subscribe(QOS_TRANSITION_CHANNEL, onTransition)
  const b = await startBroker()
  try {
    const c = await b.connected(5)
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'd', qos: 2 }] })
    await c.expect('suback')
    c.send({ type: 'publish', topic: 'd', payload: Buffer.from('x'), qos: 2, packetId: 5, retain: false, dup: false })
    // The copy for the subscriber goes out during delivery, before the publisher's PUBREC.
    const out = await c.expect('publish')
    await c.expect('pubrec')
    c.send({ type: 'pubrel', packetId: 5, reasonCode: 0 })
    await c.expect('pubcomp')
    c.send({ type: 'pubrec', packetId: out.packetId ?? 0, reasonCode: 0 })
    await c.expect('pubrel')
    c.send({ type: 'pubcomp', packetId: out.packetId ?? 0, reasonCode: 0 })
    await new Promise(resolve => setTimeout(resolve, 50))
    t.true(publishes.some(p => (p as { topic?: string }).topic === 'd'))
    const steps = transitions.map(x => `${x.from ?? '-'}>${x.to ?? '-'}`)
    t.true(steps.includes('->AwaitingPubrel'), steps.join(' '))
    t.true(steps.includes('AwaitingPubrel>-'), steps.join(' '))
    t.true(steps.includes('->AwaitingPubrec'), steps.join(' '))
    t.true(steps.includes('AwaitingPubrec>AwaitingPubcomp'), steps.join(' '))
    t.true(steps.includes('AwaitingPubcomp>-'), steps.join(' '))
  } finally {
    diagnostics.unsubscribe('qosmos:broker:publish', onPublish)
    diagnostics.unsubscribe(QOS_TRANSITION_CHANNEL, onTransition)
    await b.close()
  }
})

test('close() sends v5 clients DISCONNECT 0x8B (server shutting down) and closes every connection', async t => {
  const b = await startBroker()
  const v5 = await b.connected(5)
  const v4 = await b.connected(4)
  await b.broker.close()
  const d = await v5.expect('disconnect')
  t.is(d.reasonCode, 0x8b)
  await v5.closed()
  await v4.closed()
  t.deepEqual(v4.queued, [])
})

test('TLS with client certificates: a client with a certificate from the CA connects and the hook sees it; one without is refused', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'qosmos-tls-'))
  try {
    const ssl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }) }
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=qosmos test CA')
    for (const name of ['server', 'client']) {
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? '127.0.0.1' : 'device-7'}`)
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2')
    }
    const file = (name: string): Buffer => readFileSync(join(dir, name))
    const subjects: string[] = []
    const broker = createBroker({
      hooks: {
        authenticate: (req) => {
          subjects.push(String((req.certificate?.subject as { CN?: string } | undefined)?.CN))
          return true
        }
      }
    })
    const { port } = await broker.listenTls({ port: 0, host: '127.0.0.1', key: file('server.key'), cert: file('server.crt'), ca: file('ca.crt'), requestCert: true, rejectUnauthorized: true })
    try {
      const good = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { key: file('client.key'), cert: file('client.crt'), ca: file('ca.crt'), rejectUnauthorized: false, reconnectPeriod: 0, protocolVersion: 5 })
      await good.endAsync()
      t.deepEqual(subjects, ['device-7'])
      await t.throwsAsync(mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { ca: file('ca.crt'), rejectUnauthorized: false, reconnectPeriod: 0, connectTimeout: 3000 }))
      t.deepEqual(subjects, ['device-7'])
    } finally { await broker.close() }
  } finally { rmSync(dir, { recursive: true, force: true }) }
})

test('WebSocket attached to an existing http server: MQTT on ws:// beside the server\'s own routes', async t => {
  const http = createServer((_req, res) => { res.writeHead(200).end('app page') })
  await new Promise<void>(resolve => http.listen(0, '127.0.0.1', resolve))
  const port = (http.address() as { port: number }).port
  const broker = createBroker()
  await broker.listenWebSocket({ server: http, path: '/mqtt' })
  try {
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, res => { let s = ''; res.on('data', (c: Buffer) => { s += c.toString() }); res.on('end', () => { resolve(s) }) }).on('error', reject).end()
    })
    t.is(body, 'app page')
    const c = await mqtt.connectAsync(`ws://127.0.0.1:${port}/mqtt`, { protocolVersion: 5, reconnectPeriod: 0 })
    const got = new Promise<string>(resolve => c.once('message', (_t, p) => { resolve(p.toString()) }))
    await c.subscribeAsync('w', { qos: 1 })
    await c.publishAsync('w', 'over ws', { qos: 1 })
    t.is(await got, 'over ws')
    await c.endAsync()
  } finally {
    await broker.close()
    await new Promise<void>(resolve => http.close(() => { resolve() }))
  }
})

test('$SYS topics: version, clients, traffic counters and subscriptions, published every interval as retained', async t => {
  const clock = new ManualClock(Date.now())
  const b = await startBroker({ clock, sysInterval: 5 })
  try {
    const c = await b.connected(5)
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: '$SYS/broker/#', qos: 0 }] })
    await c.expect('suback')
    const first = new Map<string, string>()
    for (let p = await c.next(); ; p = await c.next()) {
      if (p.type === 'publish') first.set(p.topic.slice('$SYS/broker/'.length), p.payload.toString())
      if (!(await c.quiet(50))) continue
      break
    }
    // What the subscriber gets first is the retained set of the last interval (published at start).
    t.regex(first.get('version') ?? '', /^qosmos /)
    t.is(first.get('clients/connected'), '0')
    clock.advance(5000)
    const next = new Map<string, string>()
    for (let i = 0; i < 40; i++) {
      const p = await c.next()
      if (p.type === 'publish') next.set(p.topic.slice('$SYS/broker/'.length), p.payload.toString())
      if (c.queued.length === 0 && next.has('subscriptions/count') && next.has('bytes/received')) break
    }
    t.true(Number(next.get('bytes/received')) > 0)
    t.true(Number(next.get('bytes/sent')) > 0)
    t.is(next.get('subscriptions/count'), '1')
    t.is(next.get('clients/connected'), '1')
    t.is(next.get('uptime'), '5 seconds')
  } finally { await b.close() }
})
