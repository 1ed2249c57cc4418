import test from 'ava'
import { backoffDelay, backoffPolicy, connect } from '../../lib/client/index.js'
import { ManualClock } from '../../lib/core/clock.js'
import { ClientClosedError, ConnectionRefusedError, QueueFullError } from '../../lib/core/errors.js'
import { fakeServer } from '../../spec-tests/client/_fake-server.js'
import { once, withBroker, within } from './_helpers.js'

test('backoff: exponential from initialDelay, capped at maxDelay, less at most `jitter` of each step', t => {
  const policy = backoffPolicy({ initialDelay: 100, maxDelay: 1000, multiplier: 2, jitter: 0.5 })
  t.deepEqual([1, 2, 3, 4, 5, 6].map(n => backoffDelay(policy, n, () => 0)), [100, 200, 400, 800, 1000, 1000])
  t.deepEqual([1, 2, 3].map(n => backoffDelay(policy, n, () => 1)), [50, 100, 200])
  t.is(backoffDelay(policy, 3, () => 0.5), 300)
  t.throws(() => backoffPolicy({ jitter: 2 }))
  t.throws(() => backoffPolicy({ initialDelay: 10, maxDelay: 5 }))
})

test('a lost connection is retried after growing delays (on the injected clock), with close, offline, reconnect and connect events', async t => {
  const clock = new ManualClock(0)
  const s = await fakeServer(t)
  const pending = connect(s.url, { clock, reconnect: { initialDelay: 1000, multiplier: 2, jitter: 0 } })
  const first = await s.accept()
  await first.handshake()
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  const events: string[] = []
  for (const name of ['close', 'offline', 'reconnect', 'connect'] as const) client.on(name, () => { events.push(name) })
  const offline = once(client, 'offline')
  first.destroy()
  await offline
  clock.advance(999)
  await new Promise(resolve => setTimeout(resolve, 30))
  t.deepEqual(events, ['close', 'offline'])
  clock.advance(1)
  const second = await s.accept()
  await second.expect('connect')
  second.destroy() // fails before CONNACK: the next delay doubles
  await new Promise(resolve => setTimeout(resolve, 30))
  clock.advance(1999)
  await new Promise(resolve => setTimeout(resolve, 30))
  t.deepEqual(events, ['close', 'offline', 'reconnect'])
  clock.advance(1)
  const third = await s.accept()
  const connected = once(client, 'connect')
  await third.handshake()
  await connected
  t.deepEqual(events, ['close', 'offline', 'reconnect', 'reconnect', 'connect'])
})

test('offline queue: publications wait for the connection, bounded in count with QueueFullError (0x97) for QoS 1/2 beyond it', async t => {
  const clock = new ManualClock(0)
  const s = await fakeServer(t)
  const pending = connect(s.url, { clock, maxQueuedMessages: 2, reconnect: { initialDelay: 100, jitter: 0 } })
  const first = await s.accept()
  await first.handshake()
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  const offline = once(client, 'offline')
  first.destroy()
  await offline
  const a = client.publish('q/a', 'a', { qos: 1 })
  const b = client.publish('q/b', 'b', { qos: 2 })
  const error = await t.throwsAsync(client.publish('q/c', 'c', { qos: 1 }), { instanceOf: QueueFullError })
  t.is(error?.reasonCode, 0x97)
  t.is(client.stats.queued, 2)
  clock.advance(100)
  const second = await s.accept()
  await second.handshake()
  const p1 = await second.expect('publish')
  const p2 = await second.expect('publish')
  t.deepEqual([p1.topic, p2.topic], ['q/a', 'q/b'])
  second.send({ type: 'puback', packetId: p1.packetId as number, reasonCode: 0 })
  second.send({ type: 'pubrec', packetId: p2.packetId as number, reasonCode: 0 })
  await second.expect('pubrel')
  second.send({ type: 'pubcomp', packetId: p2.packetId as number, reasonCode: 0 })
  await Promise.all([a, b])
})

test('resubscribe: when the server kept no session the client subscribes again, and the iterator keeps going', async t => {
  const h = await withBroker(t)
  const c = await connect(h.url, { reconnect: { initialDelay: 5, jitter: 0 } })
  t.teardown(async () => { await c.end({ force: true }) })
  const sub = await c.subscribe('re/#', { qos: 1 })
  const it = sub[Symbol.asyncIterator]()
  const registry = (h.broker as unknown as { context: { registry: { get: (id: string) => { connection?: { destroy: () => void } } | undefined } } }).context.registry
  const back = once(c, 'connect')
  registry.get(c.clientId)?.connection?.destroy()
  const [connack] = await within(back)
  t.false(connack.sessionPresent)
  const pub = await connect(h.url, { reconnect: false })
  t.teardown(async () => { await pub.end({ force: true }) })
  // The SUBACK of the resubscription may trail the CONNACK; publish until the message gets through.
  const next = it.next()
  for (let i = 0; i < 100; i++) {
    await pub.publish('re/x', 'after', { qos: 1 })
    const got = await Promise.race([next, new Promise(resolve => setTimeout(() => resolve(undefined), 20))])
    if (got !== undefined) break
  }
  const result = await within(next)
  t.is(result.value?.payload.toString(), 'after')
})

test('end() while offline rejects what is still queued with ClientClosedError and stops reconnecting', async t => {
  const clock = new ManualClock(0)
  const s = await fakeServer(t)
  const pending = connect(s.url, { clock, reconnect: { initialDelay: 100, jitter: 0 } })
  const first = await s.accept()
  await first.handshake()
  const client = await pending
  const offline = once(client, 'offline')
  first.destroy()
  await offline
  const queued = client.publish('x', 'x', { qos: 1 })
  const ended = once(client, 'end')
  await client.end()
  await ended
  await t.throwsAsync(queued, { instanceOf: ClientClosedError })
  await t.throwsAsync(client.publish('y', 'y'), { instanceOf: ClientClosedError })
  clock.advance(10_000)
  await t.throwsAsync(s.accept(200), { message: /no connection/ })
})

test('a reconnect refused for bad credentials (0x86) ends the client instead of retrying', async t => {
  const clock = new ManualClock(0)
  const s = await fakeServer(t)
  const pending = connect(s.url, { clock, reconnect: { initialDelay: 100, jitter: 0 } })
  const first = await s.accept()
  await first.handshake()
  const client = await pending
  const errors: Error[] = []
  client.on('error', e => { errors.push(e) })
  const ended = once(client, 'end')
  first.destroy()
  await once(client, 'offline')
  clock.advance(100)
  const second = await s.accept()
  await second.expect('connect')
  second.send({ type: 'connack', sessionPresent: false, reasonCode: 0x86 })
  await within(ended)
  t.true(errors.some(e => e instanceof ConnectionRefusedError && e.reasonCode === 0x86))
})

test('followServerReference: CONNACK 0x9C and DISCONNECT 0x9D with a Server Reference send the client to that server', async t => {
  const a = await fakeServer(t)
  const b = await fakeServer(t)
  const c = await fakeServer(t)
  const pending = connect(a.url, { followServerReference: true, reconnect: { initialDelay: 5, jitter: 0 } })
  const first = await a.accept()
  await first.expect('connect')
  first.send({ type: 'connack', sessionPresent: false, reasonCode: 0x9c, properties: { serverReference: `127.0.0.1:${b.port}` } })
  const moved = await b.accept()
  await moved.handshake()
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  t.true(client.connected)
  moved.send({ type: 'disconnect', reasonCode: 0x9d, properties: { serverReference: `127.0.0.1:${c.port}` } })
  const again = await c.accept()
  t.is((await again.expect('connect')).type, 'connect')
})

test('without followServerReference a CONNACK 0x9C rejects connect() with the reference in the error', async t => {
  const a = await fakeServer(t)
  const pending = connect(a.url, { reconnect: false })
  const first = await a.accept()
  await first.expect('connect')
  first.send({ type: 'connack', sessionPresent: false, reasonCode: 0x9c, properties: { serverReference: 'other:1883' } })
  const error = await t.throwsAsync(pending, { instanceOf: ConnectionRefusedError })
  t.deepEqual([error?.reasonCode, error?.serverReference], [0x9c, 'other:1883'])
})
