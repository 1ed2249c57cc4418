/** The authorization hooks: sync or async, each able to refuse with a reason code. */
import test from 'ava'
import type { ApplicationMessage } from '../../lib/qos/types.js'
import { startBroker } from '../../spec-tests/_harness/broker.js'

const later = async <T>(value: T): Promise<T> => await new Promise(resolve => setTimeout(() => { resolve(value) }, 5))

test('authorizePublish (async) refusing: v5 PUBACK 0x87 and the message is not routed; 3.1.1 a plain PUBACK, not routed; QoS 0 dropped', async t => {
  const published: string[] = []
  const b = await startBroker({
    hooks: {
      authorizePublish: async (_c, m) => await later(m.topic.startsWith('secret/') ? { reasonCode: 0x87, reasonString: 'no' } : true),
      published: (m: ApplicationMessage) => { if (!m.topic.startsWith('$SYS/')) published.push(m.topic) }
    }
  })
  try {
    const sub = await b.connected(5)
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: '#', qos: 1 }] })
    await sub.expect('suback')
    const v5 = await b.connected(5)
    v5.send({ type: 'publish', topic: 'secret/a', payload: Buffer.from('x'), qos: 1, packetId: 1, retain: false, dup: false })
    const refused = await v5.expect('puback')
    t.is(refused.reasonCode, 0x87)
    const v4 = await b.connected(4)
    v4.send({ type: 'publish', topic: 'secret/b', payload: Buffer.from('x'), qos: 1, packetId: 2, retain: false, dup: false })
    t.is((await v4.expect('puback')).packetId, 2)
    v4.send({ type: 'publish', topic: 'secret/c', payload: Buffer.from('x'), qos: 0, retain: false, dup: false })
    v4.send({ type: 'publish', topic: 'open/d', payload: Buffer.from('x'), qos: 0, retain: false, dup: false })
    const p = await sub.expect('publish')
    t.is(p.topic, 'open/d', 'only the allowed message was routed')
    t.true(await sub.quiet(200))
    t.deepEqual(published, ['open/d'])
  } finally { await b.close() }
})

test('authorizeSubscribe: downgrade a filter\'s QoS, refuse another (v5 0x87, 3.1.1 0x80), grant the rest, in order', async t => {
  const b = await startBroker({
    hooks: {
      authorizeSubscribe: async (_c, s) => await later(s.topicFilter === 'deny/#' ? { reasonCode: 0x87 } : s.topicFilter === 'low/#' ? 0 : s.qos)
    }
  })
  try {
    for (const [v, refusal] of [[5, 0x87], [4, 0x80]] as const) {
      const c = await b.connected(v)
      c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'low/#', qos: 2 }, { topicFilter: 'deny/#', qos: 1 }, { topicFilter: 'ok/#', qos: 2 }] })
      t.deepEqual((await c.expect('suback')).reasonCodes, [0, refusal, 2])
      const pub = await b.connected(5)
      for (const topic of ['deny/1', 'low/1', 'ok/1']) {
        pub.send({ type: 'publish', topic, payload: Buffer.from('x'), qos: 2, packetId: 3, retain: false, dup: false })
        await pub.expect('pubrec')
        pub.send({ type: 'pubrel', packetId: 3, reasonCode: 0 })
        await pub.expect('pubcomp')
      }
      const low = await c.expect('publish')
      t.deepEqual([low.topic, low.qos], ['low/1', 0])
      const ok = await c.expect('publish')
      t.deepEqual([ok.topic, ok.qos], ['ok/1', 2])
      await c.disconnect()
      await pub.disconnect()
    }
  } finally { await b.close() }
})

test('authorizeForward decides per subscriber; the others still get the message', async t => {
  const b = await startBroker({
    hooks: { authorizeForward: async (client) => await later(client.clientId !== 'blocked') }
  })
  try {
    const blocked = await b.connected(5, { clientId: 'blocked' })
    const allowed = await b.connected(5, { clientId: 'allowed' })
    for (const c of [blocked, allowed]) {
      c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'f', qos: 1 }] })
      await c.expect('suback')
    }
    const pub = await b.connected(5)
    pub.send({ type: 'publish', topic: 'f', payload: Buffer.from('x'), qos: 1, packetId: 1, retain: false, dup: false })
    await pub.expect('puback')
    t.is((await allowed.expect('publish')).topic, 'f')
    t.true(await blocked.quiet(200))
  } finally { await b.close() }
})

test('a throwing authorizePublish hook refuses nothing silently: the client is disconnected, the broker keeps serving others', async t => {
  const b = await startBroker({ hooks: { authorizePublish: () => { throw new Error('hook bug') } } })
  try {
    const c = await b.connected(5)
    c.send({ type: 'publish', topic: 'x', payload: Buffer.from('x'), qos: 1, packetId: 1, retain: false, dup: false })
    const first = await c.next().catch(() => undefined)
    t.not(first?.type, 'puback')
    await c.closed()
    const other = await b.connected(4)
    other.send({ type: 'pingreq' })
    await other.expect('pingresp')
  } finally { await b.close() }
})

test('v5 [MQTT-3.1.2-29] a refusing hook\'s Reason String goes in the PUBACK/PUBREC when the client asked for problem information, and not otherwise', async t => {
  const b = await startBroker({ hooks: { authorizePublish: () => ({ reasonCode: 0x87, reasonString: 'read-only device' }) } })
  try {
    const asks = await b.connected(5)
    asks.send({ type: 'publish', topic: 'x', payload: Buffer.from('x'), qos: 1, packetId: 1, retain: false, dup: false })
    const ack = await asks.expect('puback')
    t.is(ack.reasonCode, 0x87)
    t.is(ack.properties?.reasonString, 'read-only device')
    asks.send({ type: 'publish', topic: 'x', payload: Buffer.from('x'), qos: 2, packetId: 2, retain: false, dup: false })
    const rec = await asks.expect('pubrec')
    t.deepEqual([rec.reasonCode, rec.properties?.reasonString], [0x87, 'read-only device'])
    const quiet = await b.connected(5, { properties: { requestProblemInformation: false } })
    quiet.send({ type: 'publish', topic: 'x', payload: Buffer.from('x'), qos: 1, packetId: 1, retain: false, dup: false })
    const bare = await quiet.expect('puback')
    t.is(bare.reasonCode, 0x87)
    t.is(bare.properties?.reasonString, undefined)
  } finally { await b.close() }
})

test('v5 [MQTT-3.2.2-7] an authenticate hook redirects a client: CONNACK 0x9C with the Server Reference, then the connection closes', async t => {
  const b = await startBroker({
    hooks: { authenticate: async (req) => await later(req.clientId === 'moved' ? { reasonCode: 0x9c, serverReference: 'mqtt://other.example:1883' } : true) }
  })
  try {
    const c = await b.client(5)
    const ack = await c.connect({ clientId: 'moved' })
    t.is(ack.reasonCode, 0x9c)
    t.is(ack.properties?.serverReference, 'mqtt://other.example:1883')
    await c.closed()
    const stays = await b.client(5)
    t.is((await stays.connect({ clientId: 'stays' })).reasonCode, 0)
  } finally { await b.close() }
})
