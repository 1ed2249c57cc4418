import { createServer } from 'node:net'
import test from 'ava'
import { Aedes } from 'aedes'
import { connect } from '../../lib/client/index.js'
import { ConnectionRefusedError, InvalidTopicNameError, PublishRejectedError, SubscribeRejectedError } from '../../lib/core/errors.js'
import { createMemoryPair } from '../../lib/transport/memory.js'
import { once, take, withBroker, within } from './_helpers.js'

test('v5: every message property travels publisher -> broker -> subscriber', async t => {
  const h = await withBroker(t)
  const sub = await h.client()
  const pub = await h.client()
  const s = await sub.subscribe('props', { qos: 1 })
  const got = take(s, 1)
  await pub.publish('props', 'body', {
    qos: 1,
    properties: {
      payloadFormatIndicator: true,
      messageExpiryInterval: 120,
      contentType: 'text/plain',
      responseTopic: 'reply/here',
      correlationData: Buffer.from([1, 2, 3]),
      userProperties: [['b', '2'], ['a', '1'], ['b', '3']]
    }
  })
  const [m] = await within(got)
  const p = m?.properties
  t.is(p?.payloadFormatIndicator, true)
  t.true((p?.messageExpiryInterval ?? 0) > 0 && (p?.messageExpiryInterval ?? 999) <= 120)
  t.is(p?.contentType, 'text/plain')
  t.is(p?.responseTopic, 'reply/here')
  t.deepEqual(p?.correlationData, Buffer.from([1, 2, 3]))
  t.deepEqual(p?.userProperties, [['b', '2'], ['a', '1'], ['b', '3']])
})

test('v5: a refused publication rejects with PublishRejectedError carrying the PUBACK / PUBREC reason code', async t => {
  const h = await withBroker(t, { hooks: { authorizePublish: (_c, m) => m.topic.startsWith('secret') ? { reasonCode: 0x87, reasonString: 'no' } : true } })
  const c = await h.client()
  for (const qos of [1, 2] as const) {
    const error = await t.throwsAsync(c.publish('secret/x', 'x', { qos }), { instanceOf: PublishRejectedError })
    t.is(error?.reasonCode, 0x87)
  }
  await c.publish('open', 'x', { qos: 2 })
})

test('a refused CONNECT rejects connect() with ConnectionRefusedError: v5 reason code, v3.1.1 return code', async t => {
  const h = await withBroker(t, { hooks: { authenticate: ({ password }) => password?.toString() === 'right' ? true : { reasonCode: 0x86 } } })
  const v5 = await t.throwsAsync(connect(h.url, { reconnect: false, password: 'wrong', username: 'u' }), { instanceOf: ConnectionRefusedError })
  t.is(v5?.reasonCode, 0x86)
  const v4 = await t.throwsAsync(connect(h.url, { reconnect: false, protocolVersion: 'mqttv311', password: 'wrong', username: 'u' }), { instanceOf: ConnectionRefusedError })
  t.is(v4?.returnCode, 4)
  t.is(v4?.reasonCode, 0x86)
  const ok = await h.client({ username: 'u', password: 'right' })
  t.true(ok.connected)
})

test('v5: the Assigned Client Identifier becomes the client id and is reused on reconnect', async t => {
  const h = await withBroker(t)
  const c = await connect(h.url, { clientId: '', reconnect: { initialDelay: 10, jitter: 0 }, properties: { sessionExpiryInterval: 60 } })
  t.teardown(async () => { await c.end({ force: true }) })
  const assigned = c.clientId
  t.not(assigned, '')
  t.is(c.connack?.properties?.assignedClientIdentifier, assigned)
  const ids: string[] = []
  h.broker.on('connect', (info: { clientId: string }) => { ids.push(info.clientId) })
  const reconnected = once(c, 'connect')
  // Cut the link from the broker side.
  const registry = (h.broker as unknown as { context: { registry: { get: (id: string) => { connection?: { destroy: () => void } } | undefined } } }).context.registry
  registry.get(assigned)?.connection?.destroy()
  const [connack] = await within(reconnected)
  t.deepEqual(ids, [assigned])
  t.true(connack.sessionPresent)
  t.is(connack.properties?.assignedClientIdentifier, undefined)
})

test('subscribe resolves with the granted QoS per filter (downgrades included) and rejects when every filter is refused', async t => {
  const h = await withBroker(t, { hooks: { authorizeSubscribe: (_c, s) => s.topicFilter.startsWith('deny') ? { reasonCode: 0x87 } : s.topicFilter.startsWith('low') ? 0 : s.qos } })
  const c = await h.client()
  const s = await c.subscribe(['low/#', 'high/#', 'deny/1'], { qos: 2 })
  t.deepEqual(s.granted, [0, 2, 0x87])
  const e = await t.throwsAsync(c.subscribe('deny/2', { qos: 1 }), { instanceOf: SubscribeRejectedError })
  t.deepEqual(e?.reasonCodes, [0x87])
  await t.throwsAsync(c.publish('bad/#', 'x'), { instanceOf: InvalidTopicNameError })
  t.deepEqual(await c.unsubscribe(['low/#', 'nothing']), [0x00, 0x11])
})

test('the `stream` option runs the client over any duplex (the in-memory pair into broker.handle)', async t => {
  const h = await withBroker(t)
  const [a, b] = createMemoryPair()
  h.broker.handle(b)
  const c = await connect(undefined, { stream: a, reconnect: false })
  t.teardown(async () => { await c.end({ force: true }) })
  const s = await c.subscribe('mem', { qos: 2 })
  const got = take(s, 1)
  await c.publish('mem', 'over memory', { qos: 2 })
  t.is((await within(got))[0]?.payload.toString(), 'over memory')
})

test('ws:// connects over WebSocket with the mqtt subprotocol', async t => {
  const h = await withBroker(t)
  const { port } = await h.broker.listenWebSocket({ port: 0, host: '127.0.0.1' })
  const c = await connect(`ws://127.0.0.1:${port}`, { reconnect: false })
  t.teardown(async () => { await c.end({ force: true }) })
  const s = await c.subscribe('w', { qos: 1 })
  const got = take(s, 1)
  await c.publish('w', 'over ws', { qos: 1 })
  t.is((await within(got))[0]?.payload.toString(), 'over ws')
})

test('end({ reasonCode: 0x04 }) asks the broker to publish the will; a normal end does not', async t => {
  const h = await withBroker(t)
  const watcher = await h.client()
  const s = await watcher.subscribe('will/#', { qos: 1 })
  const dying = await h.client({ will: { topic: 'will/a', payload: 'gone', qos: 1 } })
  const quiet = await h.client({ will: { topic: 'will/b', payload: 'gone', qos: 1 } })
  await quiet.end()
  await dying.end({ reasonCode: 0x04 })
  const [m] = await within(take(s, 1))
  t.is(m?.topic, 'will/a')
})

test('v3.1.1 against aedes: connect, subscribe, QoS 0/1/2 round trip, unsubscribe', async t => {
  const aedes = await Aedes.createBroker()
  const server = createServer(aedes.handle)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const clients: Array<Awaited<ReturnType<typeof connect>>> = []
  t.teardown(async () => {
    for (const c of clients) await c.end({ force: true })
    await new Promise<void>(resolve => server.close(() => resolve()))
    await new Promise<void>(resolve => aedes.close(() => resolve()))
  })
  const sub = await connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnect: false })
  const pub = await connect(`tcp://127.0.0.1:${port}`, { protocolVersion: 'mqttv311', reconnect: false })
  clients.push(sub, pub)
  const s = await sub.subscribe('ae/+', { qos: 2 })
  t.deepEqual(s.granted, [2])
  const got = take(s, 3)
  await pub.publish('ae/0', 'a', { qos: 0 })
  await pub.publish('ae/1', 'b', { qos: 1 })
  await pub.publish('ae/2', 'c', { qos: 2 })
  t.deepEqual((await within(got)).map(m => `${m.topic}:${m.payload.toString()}:${m.qos}`), ['ae/0:a:0', 'ae/1:b:1', 'ae/2:c:2'])
  t.deepEqual(await sub.unsubscribe('ae/+'), [])
})

test('a client subscribed to its own topic gets its QoS 1 and 2 publications back, and each publish resolves', async t => {
  // Regression: the broker acknowledged after storing every routed copy, and the copy routed
  // back to the publisher's own session was stored behind the list waiting for it (deadlock).
  const h = await withBroker(t)
  const c = await h.client()
  const s = await c.subscribe('loop', { qos: 2 })
  const got = take(s, 2)
  await within(c.publish('loop', 'one', { qos: 1 }), 3000, 'QoS 1 publish')
  await within(c.publish('loop', 'two', { qos: 2 }), 3000, 'QoS 2 publish')
  t.deepEqual((await within(got)).map(m => m.payload.toString()), ['one', 'two'])
})

test('a retained message published with a topic alias reaches a later subscriber without that alias', async t => {
  // Regression: the broker retained the publisher's Topic Alias with the message and sent it to
  // later subscribers that allow no aliases (the client then had to disconnect with 0x94).
  const h = await withBroker(t)
  const pub = await h.client()
  await pub.publish('kept/a', 'first', { qos: 1 })
  await pub.publish('kept/a', 'retained', { qos: 1, retain: true }) // second use: alias only on the wire
  const late = await h.client({ topicAliasMaximum: 0 })
  const errors: Error[] = []
  late.on('error', e => { errors.push(e) })
  const s = await late.subscribe('kept/#', { qos: 1 })
  const [m] = await within(take(s, 1))
  t.deepEqual([m?.topic, m?.payload.toString(), m?.properties?.topicAlias], ['kept/a', 'retained', undefined])
  t.true(late.connected)
  t.deepEqual(errors, [])
})

test('v5: SUBSCRIBE, UNSUBSCRIBE and DISCONNECT properties go out; SUBACK properties and inbound Subscription Identifiers come back', async t => {
  const { fakeServer } = await import('../../spec-tests/client/_fake-server.js')
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false, properties: { userProperties: [['app', 'x']], requestResponseInformation: true } })
  const peer = await s.accept()
  const c0 = await peer.handshake({ responseInformation: 'resp/' })
  t.deepEqual(c0.properties?.userProperties, [['app', 'x']])
  t.is(c0.properties?.requestResponseInformation, true)
  const client = await pending
  t.is(client.connack?.properties?.responseInformation, 'resp/')
  const subscribing = client.subscribe('s/#', { qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2, properties: { subscriptionIdentifier: 42, userProperties: [['k', 'v']] } })
  const sub = await peer.expect('subscribe')
  t.deepEqual(sub.subscriptions, [{ topicFilter: 's/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 }])
  t.deepEqual(sub.properties, { subscriptionIdentifier: 42, userProperties: [['k', 'v']] })
  peer.send({ type: 'suback', packetId: sub.packetId, reasonCodes: [1], properties: { reasonString: 'ok', userProperties: [['s', '1']] } })
  const subscription = await subscribing
  t.deepEqual(subscription.properties, { reasonString: 'ok', userProperties: [['s', '1']] })
  const got = take(subscription, 1)
  peer.send({ type: 'publish', topic: 's/a', payload: Buffer.from('p'), qos: 0, retain: false, dup: false, properties: { subscriptionIdentifiers: [42] } })
  t.deepEqual((await within(got))[0]?.properties?.subscriptionIdentifiers, [42])
  const unsubscribing = client.unsubscribe('s/#', { properties: { userProperties: [['u', '2']] } })
  const unsub = await peer.expect('unsubscribe')
  t.deepEqual(unsub.properties, { userProperties: [['u', '2']] })
  peer.send({ type: 'unsuback', packetId: unsub.packetId, reasonCodes: [0] })
  t.deepEqual(await unsubscribing, [0])
  await client.end({ reasonCode: 0x04, reasonString: 'bye', sessionExpiryInterval: 0, userProperties: [['d', '3']] })
  const disconnect = await peer.expect('disconnect')
  t.deepEqual(disconnect, { type: 'disconnect', reasonCode: 0x04, properties: { reasonString: 'bye', sessionExpiryInterval: 0, userProperties: [['d', '3']] } })
})
