/**
 * What a v5 CONNECT asks of every later packet the server sends (3.1.2.11): Maximum Packet
 * Size, Topic Alias Maximum, Request Problem Information.
 */
import test from 'ava'
import type { PublishPacket } from '../../lib/protocol/packets.js'
import { firstBytes, packetSizes } from '../_harness/bytes.js'
import { brokerFor } from '../_harness/checks.js'

test('v5 [MQTT-3.1.2-24] [MQTT-3.1.2-25] a PUBLISH larger than the client Maximum Packet Size is not sent, counts as delivered, and is not sent again when the session resumes', async t => {
  const b = await brokerFor(t)
  const fields = { clientId: 'small-packets', clean: false, properties: { sessionExpiryInterval: 60, maximumPacketSize: 64 } }
  const sub = await b.connected(5, fields)
  sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'size/#', qos: 1 }] })
  await sub.expect('suback')
  const pub = await b.connected(5)
  pub.send({ type: 'publish', topic: 'size/big', payload: Buffer.alloc(200, 0x61), qos: 1, retain: false, dup: false, packetId: 1 })
  pub.send({ type: 'publish', topic: 'size/small', payload: Buffer.from('ok'), qos: 1, retain: false, dup: false, packetId: 2 })
  t.is((await pub.expect('puback')).packetId, 1)
  t.is((await pub.expect('puback')).packetId, 2)
  const p = await sub.expect('publish')
  t.is(p.topic, 'size/small')
  sub.send({ type: 'puback', packetId: p.packetId as number })
  t.true(await sub.quiet(150))
  // Every packet on the wire fits, whatever its type.
  const sizes = packetSizes(sub.received)
  t.is(firstBytes(sub.received).length, sizes.length)
  t.true(sizes.every(n => n <= 64), sizes.join(' '))
  // Back on the same session: the dropped message is not waiting to be resent.
  sub.destroy()
  const again = await b.client(5)
  t.true((await again.connect(fields)).sessionPresent)
  t.true(await again.quiet(200), 'nothing resent')
  // With room for it, the same message does arrive (the test can tell the difference).
  const roomy = await b.connected(5, { properties: { maximumPacketSize: 1024 } })
  roomy.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'size/#', qos: 0 }] })
  await roomy.expect('suback')
  pub.send({ type: 'publish', topic: 'size/big', payload: Buffer.alloc(200, 0x61), qos: 0, retain: false, dup: false })
  t.is((await roomy.expect('publish')).payload.length, 200)
})

test('v5 [MQTT-3.1.2-27] a client without Topic Alias Maximum (or 0) never gets a topic alias', async t => {
  const b = await brokerFor(t)
  for (const properties of [{}, { topicAliasMaximum: 0 }]) {
    const sub = await b.connected(5, { properties })
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'alias/#', qos: 0 }] })
    await sub.expect('suback')
    const pub = await b.connected(5)
    for (let i = 0; i < 6; i++) pub.send({ type: 'publish', topic: 'alias/same/long/topic/name', payload: Buffer.from(String(i)), qos: 0, retain: false, dup: false })
    for (let i = 0; i < 6; i++) {
      const p = await sub.expect('publish')
      t.is(p.topic, 'alias/same/long/topic/name')
      t.is(p.properties?.topicAlias, undefined)
    }
  }
})

test('v5 [MQTT-3.1.2-26] topic aliases the server sends stay within the client Topic Alias Maximum, and each stands for the topic it was set with', async t => {
  const b = await brokerFor(t)
  const sub = await b.connected(5, { properties: { topicAliasMaximum: 2 } })
  sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'ta/#', qos: 0 }] })
  await sub.expect('suback')
  const pub = await b.connected(5)
  const topics = ['ta/one/with/a/long/name', 'ta/two/with/a/long/name', 'ta/three/with/a/long/name', 'ta/four/with/a/long/name']
  const sent: string[] = []
  for (let round = 0; round < 3; round++) for (const topic of topics) sent.push(topic)
  for (const topic of sent) pub.send({ type: 'publish', topic, payload: Buffer.from(topic), qos: 0, retain: false, dup: false })
  const aliases = new Map<number, string>()
  let used = 0
  for (const expected of sent) {
    const p: PublishPacket = await sub.expect('publish')
    const alias = p.properties?.topicAlias
    if (alias === undefined) { t.is(p.topic, expected); continue }
    used++
    t.true(alias >= 1 && alias <= 2, `alias ${alias}`)
    if (p.topic !== '') aliases.set(alias, p.topic)
    t.is(p.topic === '' ? aliases.get(alias) : p.topic, expected, `alias ${alias}`)
    t.is(p.payload.toString(), expected)
  }
  t.true(used > 0, 'the server used topic aliases at all')
})

test('v5 [MQTT-3.1.2-29] Request Problem Information 0: no Reason String or User Property on any packet but PUBLISH, CONNACK and DISCONNECT', async t => {
  const b = await brokerFor(t, {
    hooks: {
      authorizePublish: (_c, m) => m.topic.startsWith('deny/') ? { reasonCode: 0x87, reasonString: 'publishing there is not allowed' } : true,
      authorizeSubscribe: (_c, s) => s.topicFilter.startsWith('deny/') ? { reasonCode: 0x87, reasonString: 'subscribing there is not allowed' } : s.qos
    }
  })
  const c = await b.connected(5, { properties: { requestProblemInformation: false } })
  c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'deny/x', qos: 1 }, { topicFilter: 'ok/x', qos: 1 }] })
  c.send({ type: 'publish', topic: 'deny/x', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 2 })
  c.send({ type: 'publish', topic: 'deny/y', payload: Buffer.from('x'), qos: 2, retain: false, dup: false, packetId: 3 })
  c.send({ type: 'unsubscribe', packetId: 4, topicFilters: ['never/subscribed'] })
  c.send({ type: 'publish', topic: '$SYS/x', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 5 })
  const got = [await c.next(), await c.next(), await c.next(), await c.next(), await c.next()]
  t.deepEqual(got.map(p => p.type), ['suback', 'puback', 'pubrec', 'unsuback', 'puback'])
  const codes = got.map(p => ('reasonCode' in p ? p.reasonCode : 'reasonCodes' in p ? p.reasonCodes : undefined))
  t.deepEqual(codes, [[0x87, 1], 0x87, 0x87, [0x11], 0x87], 'the refusals themselves are there')
  for (const p of got) {
    const properties = 'properties' in p ? p.properties as { reasonString?: string, userProperties?: unknown } | undefined : undefined
    t.is(properties?.reasonString, undefined, p.type)
    t.is(properties?.userProperties, undefined, p.type)
  }
})
