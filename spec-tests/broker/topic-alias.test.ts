/**
 * v5 Topic Aliases through the real broker (3.3.2.3.4): the ones a client sets, and the ones the
 * broker uses towards a client that allows them.
 */
import test from 'ava'
import { startBroker } from '../_harness/broker.js'
import { closedWith, publish, publishPacket, receive, subscribe, text } from '../_harness/flows.js'

test('v5 [MQTT-3.3.2-12] the broker accepts aliases from 1 to its Topic Alias Maximum and resolves them', async t => {
  const b = await startBroker({ topicAliasMaximum: 3 })
  try {
    const sub = await b.connected(5)
    await subscribe(sub, ['ta/#'])
    const c = await b.client(5)
    t.is((await c.connect()).properties?.topicAliasMaximum, 3)
    await publish(c, 'ta/one', 'a', { qos: 1, properties: { topicAlias: 1 } })
    await publish(c, 'ta/three', 'b', { qos: 1, properties: { topicAlias: 3 } })
    await publish(c, '', 'c', { qos: 1, properties: { topicAlias: 1 } })
    await publish(c, '', 'd', { qos: 1, properties: { topicAlias: 3 } })
    // An alias can be pointed at another topic.
    await publish(c, 'ta/other', 'e', { qos: 1, properties: { topicAlias: 1 } })
    await publish(c, '', 'f', { qos: 1, properties: { topicAlias: 1 } })
    const got = await receive(sub, 6)
    t.deepEqual(got.map(p => `${p.topic}=${text(p)}`), ['ta/one=a', 'ta/three=b', 'ta/one=c', 'ta/three=d', 'ta/other=e', 'ta/other=f'])
    t.true(got.every(p => p.properties?.topicAlias === undefined), 'the publisher\'s alias is not forwarded')
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-12] [MQTT-3.3.2-8] an alias of 0 or above the broker\'s Topic Alias Maximum ends the connection with 0x94', async t => {
  const b = await startBroker({ topicAliasMaximum: 2 })
  try {
    for (const alias of [3, 0]) {
      const c = await b.connected(5)
      // The encoder refuses alias 0; write it by hand: PUBLISH QoS 0, topic 'x', properties {0x23: alias}.
      c.write(Buffer.from([0x30, 8, 0, 1, 0x78, 3, 0x23, 0, alias, 0x21]))
      t.is(await closedWith(c), 0x94, `alias ${alias}`)
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-7] topic aliases do not carry over to a new connection of the same session', async t => {
  const b = await startBroker()
  try {
    const fields = { clientId: 'ta-carry', clean: false, properties: { sessionExpiryInterval: 60 } }
    const c = await b.connected(5, fields)
    await publish(c, 'tac/a', 'x', { qos: 1, properties: { topicAlias: 1 } })
    await c.disconnect()
    const again = await b.client(5)
    t.true((await again.connect(fields)).sessionPresent)
    again.send(publishPacket('', 'y', { qos: 1, properties: { topicAlias: 1 } }))
    t.is(await closedWith(again), 0x82, 'an alias unknown on this connection is a Protocol Error')
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-11] [MQTT-3.3.2-8] the broker\'s aliases to a client are in 1..its Topic Alias Maximum, never 0, and mapped consistently', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(5, { properties: { topicAliasMaximum: 2 } })
    await subscribe(sub, ['tao/#'])
    const pub = await b.connected(5)
    const topics = ['tao/a', 'tao/b', 'tao/a', 'tao/c', 'tao/b', 'tao/a', 'tao/c', 'tao/c']
    for (const topic of topics) await publish(pub, topic, topic, { qos: 1 })
    const got = await receive(sub, topics.length)
    const aliases = new Map<number, string>()
    const resolved: string[] = []
    for (const p of got) {
      const alias = p.properties?.topicAlias
      if (alias !== undefined) {
        t.true(alias >= 1 && alias <= 2, `alias ${alias}`)
        if (p.topic !== '') aliases.set(alias, p.topic)
      }
      const topic = p.topic !== '' ? p.topic : aliases.get(alias as number)
      resolved.push(topic ?? '?')
      t.is(topic, text(p), 'the alias stands for the topic the message was published to')
    }
    t.deepEqual(resolved, topics)
    t.true(got.some(p => p.topic === ''), 'aliases are used')
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-11] the broker sends no Topic Alias to a client that allows none', async t => {
  const b = await startBroker()
  try {
    for (const properties of [{}, { topicAliasMaximum: 0 }]) {
      const sub = await b.connected(5, { properties })
      await subscribe(sub, ['tan/#'])
      const pub = await b.connected(5)
      for (let i = 0; i < 3; i++) await publish(pub, 'tan/a', 'x', { qos: 1 })
      const got = await receive(sub, 3)
      t.true(got.every(p => p.topic === 'tan/a' && p.properties?.topicAlias === undefined))
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-7] aliases the broker set towards a client start afresh on its next connection', async t => {
  const b = await startBroker()
  try {
    const fields = { clientId: 'ta-out', clean: false, properties: { sessionExpiryInterval: 60, topicAliasMaximum: 5 } }
    const sub = await b.connected(5, fields)
    await subscribe(sub, ['tar/#'], { qos: 1 })
    const pub = await b.connected(5)
    await publish(pub, 'tar/a', '1', { qos: 1 })
    const [p1] = await receive(sub, 1)
    t.is(p1?.topic, 'tar/a')
    sub.send({ type: 'puback', packetId: p1?.packetId as number })
    await sub.disconnect()
    const again = await b.client(5)
    await again.connect(fields)
    await publish(pub, 'tar/a', '2', { qos: 1 })
    const [p2] = await receive(again, 1)
    t.is(p2?.topic, 'tar/a', 'the first message on the new connection carries the topic name')
  } finally { await b.close() }
})
