/**
 * SUBSCRIBE and SUBACK through the real broker (3.8, 3.9): one SUBACK per SUBSCRIBE with the
 * same id and one code per filter in order, replacement, granted QoS, No Local, overlapping
 * subscriptions (one copy at the highest QoS, every Subscription Identifier), malformed input.
 */
import test from 'ava'
import { startBroker } from '../_harness/broker.js'
import { closedWith, frame, publish, publishPacket, rawSubscribe, receive, str, subscribe, text, u16 } from '../_harness/flows.js'

const VERSIONS = [4, 5] as const

test('v3.1.1 [MQTT-3.8.4-1] [MQTT-3.8.4-2] v5 [MQTT-3.8.4-1] [MQTT-3.8.4-2] every SUBSCRIBE gets a SUBACK with its packet identifier', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      for (const packetId of [1, 300, 65535]) {
        c.send({ type: 'subscribe', packetId, subscriptions: [{ topicFilter: `ids/${packetId}`, qos: 1 }] })
        const ack = await c.expect('suback')
        t.is(ack.packetId, packetId)
      }
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.8.4-4] [MQTT-3.8.4-5] [MQTT-3.9.3-1] [MQTT-3.9.3-2] v5 [MQTT-3.8.4-5] [MQTT-3.8.4-6] [MQTT-3.8.4-7] [MQTT-3.9.3-1] [MQTT-3.9.3-2] a multi-filter SUBSCRIBE gets one SUBACK with one code per filter, in order: granted QoS or failure', async t => {
  const b = await startBroker({
    maximumQoS: 1,
    hooks: { authorizeSubscribe: (_c, s) => s.topicFilter.startsWith('deny/') ? { reasonCode: 0x87 } : s.qos }
  })
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      c.write(rawSubscribe(v, 42, [['m/0', 0], ['deny/x', 1], ['m/2', 2], ['m/1', 1], ['deny/y', 0]]))
      const ack = await c.expect('suback')
      t.is(ack.packetId, 42)
      const failure = v === 5 ? [0x87, 0x87] : [0x80, 0x80]
      t.deepEqual(ack.reasonCodes, [0, failure[0], 1, 1, failure[1]], `v${v}`)
      const defined = v === 5 ? [0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2] : [0, 1, 2, 0x80]
      for (const code of ack.reasonCodes) t.true(defined.includes(code))
      // The granted subscriptions work; the refused ones do not exist.
      const pub = await b.connected(v)
      await publish(pub, 'm/2', 'a', { qos: 1 })
      await publish(pub, 'deny/x', 'b', { qos: 1 })
      const [p] = await receive(c, 1)
      t.is(p?.topic, 'm/2')
      t.true(await c.quiet(200))
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.8.4-6] v5 [MQTT-3.8.4-8] a message is delivered at the lower of its QoS and the granted QoS', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const subs = [await b.connected(v), await b.connected(v), await b.connected(v)]
      for (const [q, s] of subs.entries()) t.deepEqual((await subscribe(s, ['gq/#'], { qos: q as 0 | 1 | 2 })).reasonCodes, [q])
      const pub = await b.connected(v)
      for (const qos of [0, 1, 2] as const) await publish(pub, `gq/${qos}`, 'x', { qos })
      for (const [granted, s] of subs.entries()) {
        const got = await receive(s, 3)
        t.deepEqual(got.map(p => p.qos), [0, 1, 2].map(q => Math.min(q, granted)), `granted ${granted}`)
        for (const p of got) if (p.qos > 0) s.send(p.qos === 1 ? { type: 'puback', packetId: p.packetId as number } : { type: 'pubrec', packetId: p.packetId as number })
      }
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.8.4-3] v5 [MQTT-3.8.4-3] a SUBSCRIBE with a filter the session has replaces that subscription', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['rep/+'], { qos: 2 })
      await subscribe(sub, ['rep/+'], { qos: 0 })
      const pub = await b.connected(v)
      await publish(pub, 'rep/a', 'x', { qos: 2 })
      const [p] = await receive(sub, 1)
      t.is(p?.qos, 0, 'the new granted QoS applies')
      t.true(await sub.quiet(200), 'one subscription, one copy')
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.5-1] v5 [MQTT-3.3.4-2] [MQTT-3.3.4-3] [MQTT-3.3.4-4] overlapping subscriptions give one copy at the highest granted QoS with every matching Subscription Identifier', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      const id = (n: number): { properties?: { subscriptionIdentifier: number } } => v === 5 ? { properties: { subscriptionIdentifier: n } } : {}
      await subscribe(sub, [{ topicFilter: 'ov/#', qos: 0 }], id(1))
      await subscribe(sub, [{ topicFilter: 'ov/+/x', qos: 2 }], id(2))
      await subscribe(sub, [{ topicFilter: 'ov/a/x', qos: 1 }], id(3))
      await subscribe(sub, [{ topicFilter: 'ov/b/#', qos: 1 }], id(4))
      const pub = await b.connected(v)
      await publish(pub, 'ov/a/x', 'x', { qos: 2 })
      const [p] = await receive(sub, 1)
      t.is(p?.qos, 2)
      if (v === 5) t.deepEqual([...(p?.properties?.subscriptionIdentifiers ?? [])].sort(), [1, 2, 3])
      else t.is(p?.properties?.subscriptionIdentifiers, undefined)
      t.true(await sub.quiet(200), 'a single copy')
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.4-5] a client that gets separate copies (a shared and a non-shared subscription) gets each with its own Subscription Identifier', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(5)
    await subscribe(sub, [{ topicFilter: 'sep/#', qos: 1 }], { properties: { subscriptionIdentifier: 7 } })
    await subscribe(sub, [{ topicFilter: '$share/g/sep/#', qos: 1 }], { properties: { subscriptionIdentifier: 9 } })
    await subscribe(sub, [{ topicFilter: 'sep/noid', qos: 1 }])
    const pub = await b.connected(5)
    await publish(pub, 'sep/x', 'x', { qos: 1 })
    const got = await receive(sub, 2)
    t.deepEqual(got.map(p => [...(p.properties?.subscriptionIdentifiers ?? [])]).sort(), [[7], [9]])
  } finally { await b.close() }
})

test('v5 a Subscription Identifier goes only with messages of the subscription that carried it', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(5)
    await subscribe(sub, [{ topicFilter: 'sid/a', qos: 1 }], { properties: { subscriptionIdentifier: 268_435_455 } })
    await subscribe(sub, [{ topicFilter: 'sid/b', qos: 1 }])
    const pub = await b.connected(5)
    await publish(pub, 'sid/a', 'x', { qos: 1 })
    await publish(pub, 'sid/b', 'x', { qos: 1 })
    const [a, c] = await receive(sub, 2)
    t.deepEqual(a?.properties?.subscriptionIdentifiers, [268_435_455])
    t.is(c?.properties?.subscriptionIdentifiers, undefined)
  } finally { await b.close() }
})

test('v5 [MQTT-3.8.3-3] with No Local the publisher does not get its own messages', async t => {
  const b = await startBroker()
  try {
    const c = await b.connected(5)
    await subscribe(c, [{ topicFilter: 'nl/#', qos: 1, noLocal: true }])
    const other = await b.connected(5)
    await subscribe(other, [{ topicFilter: 'nl/#', qos: 1, noLocal: true }])
    await publish(c, 'nl/a', 'mine', { qos: 1 })
    t.true(await c.quiet(200), 'not to the publisher')
    const [p] = await receive(other, 1)
    t.is(p && text(p), 'mine', 'others still get it')
    other.send({ type: 'puback', packetId: p?.packetId as number })
  } finally { await b.close() }
})

test('v5 [MQTT-3.8.3-4] No Local on a shared subscription is a Protocol Error', async t => {
  const b = await startBroker()
  try {
    const c = await b.connected(5)
    c.write(rawSubscribe(5, 5, [['$share/g/nl', 0x04]]))
    t.is(await closedWith(c), 0x82)
    t.false(c.queued.some(p => p.type === 'suback'))
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.8.1-1] v5 [MQTT-3.8.1-1] a SUBSCRIBE whose fixed-header flags are not 0010 closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      c.write(frame(0x80, u16(1), v === 5 ? [0] : [], str('f'), [0]))
      const code = await closedWith(c)
      if (v === 5) t.true(code === undefined || code === 0x81)
      t.false(c.queued.some(p => p.type === 'suback'))
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.8.3-1] v5 [MQTT-3.8.3-1] a SUBSCRIBE topic filter that is not well-formed UTF-8 closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      c.write(frame(0x82, u16(1), v === 5 ? [0] : [], str([0x61, 0xed, 0xa0, 0x80]), [0]))
      await c.closed()
      t.false(c.queued.some(p => p.type === 'suback'))
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.8.3-3] v5 [MQTT-3.8.3-2] a SUBSCRIBE without any filter closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      c.write(frame(0x82, u16(1), v === 5 ? [0] : []))
      await c.closed()
      t.false(c.queued.some(p => p.type === 'suback'))
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.8.3-4] v5 [MQTT-3.8.3-5] reserved bits in the subscription options (or QoS 3) close the connection', async t => {
  const b = await startBroker()
  try {
    const cases: Array<[4 | 5, number]> = [[4, 0x04], [4, 0x03], [4, 0x80], [5, 0x40], [5, 0x80], [5, 0x03], [5, 0x30]]
    for (const [v, options] of cases) {
      const c = await b.connected(v)
      c.write(frame(0x82, u16(1), v === 5 ? [0] : [], str('opt'), [options]))
      await c.closed()
      t.false(c.queued.some(p => p.type === 'suback'), `v${v} options 0x${options.toString(16)}`)
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.8.3-3] [MQTT-3.3.4-3] No Local applies per subscription: an overlapping subscription without it still delivers the own message, with only its identifier', async t => {
  const b = await startBroker()
  try {
    const c = await b.connected(5)
    await subscribe(c, [{ topicFilter: 'nlo/#', qos: 1, noLocal: true }], { properties: { subscriptionIdentifier: 1 } })
    await subscribe(c, [{ topicFilter: 'nlo/a', qos: 1 }], { properties: { subscriptionIdentifier: 2 } })
    c.send(publishPacket('nlo/a', 'mine', { qos: 0 }))
    const [p] = await receive(c, 1)
    t.deepEqual(p?.properties?.subscriptionIdentifiers, [2])
    c.send(publishPacket('nlo/b', 'only no-local matches', { qos: 0 }))
    t.true(await c.quiet(250))
  } finally { await b.close() }
})

test('v5 a retained message sent on SUBSCRIBE carries the Subscription Identifier of that SUBSCRIBE', async t => {
  const b = await startBroker()
  try {
    const pub = await b.connected(5)
    await publish(pub, 'rsid/a', 'r', { qos: 1, retain: true })
    const c = await b.connected(5)
    await subscribe(c, [{ topicFilter: 'rsid/+', qos: 1 }], { properties: { subscriptionIdentifier: 42 } })
    const [p] = await receive(c, 1)
    t.true(p?.retain)
    t.deepEqual(p?.properties?.subscriptionIdentifiers, [42])
  } finally { await b.close() }
})
