/**
 * acknowledge: 'after-processing': a QoS 1/2 message is acknowledged only once the application
 * is done with it, so at-least-once / exactly-once hold to the application, and with Receive
 * Maximum a slow consumer makes the broker hold messages back.
 */
import test from 'ava'
import { connect } from '../../lib/client/index.js'
import { fakeServer } from '../../spec-tests/client/_fake-server.js'
import { withBroker, within } from './_helpers.js'

const publish = (topic: string, qos: 1 | 2, packetId: number, dup = false) =>
  ({ type: 'publish' as const, topic, payload: Buffer.from(topic), qos, retain: false, dup, packetId })

function gate (): { wait: Promise<void>, open: () => void } {
  let open = (): void => {}
  const wait = new Promise<void>(resolve => { open = resolve })
  return { wait, open }
}

test('a QoS 1 PUBACK and a QoS 2 PUBREC leave only once the async message handler has resolved', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false, acknowledge: 'after-processing' })
  const peer = await s.accept()
  await peer.handshake()
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  const g1 = gate()
  const g2 = gate()
  const handled: string[] = []
  client.on('message', async (topic) => {
    await (topic === 'one' ? g1.wait : g2.wait)
    handled.push(topic)
  })
  peer.send(publish('one', 1, 5))
  peer.send(publish('two', 2, 6))
  t.true(await peer.quiet())
  g1.open()
  t.deepEqual(await peer.expect('puback'), { type: 'puback', packetId: 5, reasonCode: 0 })
  t.true(await peer.quiet())
  g2.open()
  t.deepEqual(await peer.expect('pubrec'), { type: 'pubrec', packetId: 6, reasonCode: 0 })
  t.deepEqual(handled, ['one', 'two'])
})

test('with an iterator, a message is acknowledged when the consumer moves past it', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false, acknowledge: 'after-processing' })
  const peer = await s.accept()
  await peer.handshake()
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  const sub = client.subscribe('it/#', { qos: 1 })
  const req = await peer.expect('subscribe')
  peer.send({ type: 'suback', packetId: req.packetId, reasonCodes: [1] })
  const it = (await sub)[Symbol.asyncIterator]()
  peer.send(publish('it/a', 1, 7))
  peer.send(publish('it/b', 1, 8))
  t.is((await it.next()).value?.topic, 'it/a')
  t.true(await peer.quiet(), 'still processing it/a')
  const second = it.next()
  t.deepEqual(await peer.expect('puback'), { type: 'puback', packetId: 7, reasonCode: 0 })
  t.is((await second).value?.topic, 'it/b')
  t.true(await peer.quiet())
  await it.return?.()
  t.deepEqual(await peer.expect('puback'), { type: 'puback', packetId: 8, reasonCode: 0 })
})

test('a handler that rejects leaves the message unacknowledged: the client drops the connection and the resent message is handled again', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { acknowledge: 'after-processing', clientId: 'retry', properties: { sessionExpiryInterval: 60 }, reconnect: { initialDelay: 5, jitter: 0 } })
  const first = await s.accept()
  await first.handshake()
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  client.on('error', () => {})
  let calls = 0
  client.on('message', async () => {
    calls++
    if (calls === 1) throw new Error('processing failed')
  })
  first.send(publish('job', 1, 9))
  await first.closed()
  t.false(first.received.some(p => p.type === 'puback'))
  const second = await s.accept()
  await second.handshake(undefined, true)
  second.send(publish('job', 1, 9, true))
  t.deepEqual(await second.expect('puback'), { type: 'puback', packetId: 9, reasonCode: 0 })
  t.is(calls, 2)
})

test('a handler may publish and await the outcome while its own message waits for acknowledgement', async t => {
  const h = await withBroker(t)
  const c = await h.client({ acknowledge: 'after-processing' })
  await c.subscribe('req', { qos: 1 })
  const replies = await c.subscribe('rep', { qos: 1 })
  const it = replies[Symbol.asyncIterator]()
  c.on('message', async (topic, payload) => {
    if (topic === 'req') await c.publish('rep', `re: ${payload.toString()}`, { qos: 2 })
  })
  await c.publish('req', 'ping', { qos: 1 })
  t.is((await within(it.next())).value?.payload.toString(), 're: ping')
})

test('with Receive Maximum 2 and a slow consumer the broker holds messages back instead of the client buffering them', async t => {
  const h = await withBroker(t)
  const c = await h.client({ acknowledge: 'after-processing', receiveMaximum: 2, clientId: 'slow' })
  const sub = await c.subscribe('flow/#', { qos: 1 })
  const it = sub[Symbol.asyncIterator]()
  const pub = await h.client()
  for (let i = 0; i < 10; i++) await pub.publish(`flow/${i}`, String(i), { qos: 1 })
  const first = await within(it.next())
  t.is(first.value?.topic, 'flow/0')
  await new Promise(resolve => setTimeout(resolve, 50))
  const registry = (h.broker as unknown as { context: { registry: { get: (id: string) => { stats: { inflightOutbound: number, queued: number } } | undefined } } }).context.registry
  const stats = registry.get('slow')?.stats
  t.is(stats?.inflightOutbound, 2, 'the broker has at most Receive Maximum messages unacknowledged')
  t.is(stats?.queued, 8, 'the rest wait at the broker')
  t.true(sub.buffered <= 1)
  const topics = [first.value?.topic]
  for (let i = 1; i < 10; i++) topics.push((await within(it.next())).value?.topic)
  t.deepEqual(topics, Array.from({ length: 10 }, (_, i) => `flow/${i}`))
})
