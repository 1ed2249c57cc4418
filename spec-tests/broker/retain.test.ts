/**
 * Retained messages through the real broker (3.3.1 RETAIN, Retain Handling, Retain As Published,
 * 3.8.4 resend on a replaced subscription, and v5 Message Expiry of retained messages).
 */
import test from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import { startBroker } from '../_harness/broker.js'
import { drain, publish, receive, subscribe, text } from '../_harness/flows.js'

const VERSIONS = [4, 5] as const

test('v3.1.1 [MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-8] v5 [MQTT-3.3.1-5] [MQTT-3.3.1-9] a retained message replaces the last one and goes to each new subscription with RETAIN 1 and its QoS', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const topic = `keep/${v}`
      const pub = await b.connected(v)
      await publish(pub, topic, 'old', { qos: 1, retain: true })
      await publish(pub, topic, 'new', { qos: 1, retain: true })
      const sub = await b.connected(v)
      await subscribe(sub, [topic], { qos: 2 })
      const [p] = await receive(sub, 1)
      t.is(p && text(p), 'new', 'only the last retained message')
      t.true(p?.retain)
      t.is(p?.qos, 1, 'the stored QoS')
      t.true(await sub.quiet(200))
      // Wildcard subscriptions get one per matching topic.
      await publish(pub, `${topic}/child`, 'c', { qos: 0, retain: true })
      const wild = await b.connected(v)
      await subscribe(wild, [`${topic}/#`], { qos: 2 })
      const got = (await receive(wild, 2)).map(x => `${x.topic}=${text(x)}:${String(x.retain)}`).sort()
      t.deepEqual(got, [`${topic}/child=c:true`, `${topic}=new:true`])
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.1-7] a retained QoS 0 message replaces the retained message of its topic', async t => {
  const b = await startBroker()
  try {
    const pub = await b.connected(4)
    await publish(pub, 'keep0/a', 'q2', { qos: 2, retain: true })
    await publish(pub, 'keep0/a', 'q0', { qos: 0, retain: true })
    const sub = await b.connected(4)
    await subscribe(sub, ['keep0/a'], { qos: 2 })
    const [p] = await receive(sub, 1)
    t.is(p && text(p), 'q0')
    t.is(p?.qos, 0)
    t.true(await sub.quiet(200))
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.1-9] v5 [MQTT-3.3.1-12] on an established subscription (Retain As Published 0) a retained message arrives with RETAIN 0', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, [`live/${v}`], { qos: 1 })
      const pub = await b.connected(v)
      await publish(pub, `live/${v}`, 'x', { qos: 1, retain: true })
      const [p] = await receive(sub, 1)
      t.false(p?.retain)
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.1-13] with Retain As Published the RETAIN flag is forwarded as received', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(5)
    await subscribe(sub, [{ topicFilter: 'rap/#', qos: 1, retainAsPublished: true }])
    const pub = await b.connected(5)
    await publish(pub, 'rap/a', 'r', { qos: 1, retain: true })
    await publish(pub, 'rap/a', 'n', { qos: 1, retain: false })
    const [r, n] = await receive(sub, 2)
    t.true(r?.retain)
    t.false(n?.retain)
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.1-12] [MQTT-3.3.1-13] [MQTT-3.3.4-5] overlapping subscriptions that disagree on Retain As Published get one copy each: RETAIN kept for one, cleared for the other, each with its own identifier', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(5)
    await subscribe(sub, [{ topicFilter: 'rapx/#', qos: 1, retainAsPublished: true }], { properties: { subscriptionIdentifier: 7 } })
    await subscribe(sub, [{ topicFilter: 'rapx/a', qos: 0 }], { properties: { subscriptionIdentifier: 8 } })
    const pub = await b.connected(5)
    await publish(pub, 'rapx/a', 'r', { qos: 1, retain: true })
    const copies = await receive(sub, 2)
    const kept = copies.find(p => p.retain)
    const cleared = copies.find(p => !p.retain)
    t.deepEqual(kept?.properties?.subscriptionIdentifiers, [7])
    t.is(kept?.qos, 1)
    t.deepEqual(cleared?.properties?.subscriptionIdentifiers, [8])
    t.is(cleared?.qos, 0)
    // Not retained: the subscriptions agree (RETAIN 0 either way), so one copy.
    await publish(pub, 'rapx/a', 'n', { qos: 1, retain: false })
    const [one] = await receive(sub, 1)
    t.false(one?.retain)
    t.true(await sub.quiet(200), 'one copy of a message that is not retained')
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.1-9] overlapping subscriptions of a 3.1.1 client get one copy of a retained message, RETAIN 0', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(4)
    await subscribe(sub, ['ov311/#', 'ov311/a'], { qos: 1 })
    const pub = await b.connected(4)
    await publish(pub, 'ov311/a', 'r', { qos: 1, retain: true })
    const [copy] = await receive(sub, 1)
    t.false(copy?.retain)
    t.true(await sub.quiet(200))
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.1-10] [MQTT-3.3.1-11] v5 [MQTT-3.3.1-6] [MQTT-3.3.1-7] an empty retained message is forwarded as usual and clears the topic, and is not stored itself', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const topic = `clear/${v}`
      const pub = await b.connected(v)
      await publish(pub, topic, 'x', { qos: 1, retain: true })
      const live = await b.connected(v)
      await subscribe(live, [topic], { qos: 1, ...(v === 5 ? {} : {}) })
      t.is((await receive(live, 1))[0]?.payload.length, 1, 'the retained message')
      await publish(pub, topic, '', { qos: 1, retain: true })
      const [p] = await receive(live, 1)
      t.is(p?.payload.length, 0, 'the empty message is forwarded')
      const late = await b.connected(v)
      await subscribe(late, [topic], { qos: 1 })
      t.true(await late.quiet(200), 'nothing retained any more, and the empty message was not kept')
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.1-12] v5 [MQTT-3.3.1-8] a PUBLISH with RETAIN 0 neither is stored nor changes the retained message', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const topic = `norc/${v}`
      const pub = await b.connected(v)
      await publish(pub, topic, 'kept', { qos: 1, retain: true })
      await publish(pub, topic, 'passing', { qos: 1, retain: false })
      await publish(pub, topic, '', { qos: 1, retain: false })
      await publish(pub, `${topic}/other`, 'not retained', { qos: 1 })
      const sub = await b.connected(v)
      await subscribe(sub, [`${topic}/#`], { qos: 1 })
      const [p] = await receive(sub, 1)
      t.is(p && text(p), 'kept')
      t.true(await sub.quiet(200))
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11] Retain Handling 0 sends retained messages on every SUBSCRIBE, 1 only for a new subscription, 2 never', async t => {
  const b = await startBroker()
  try {
    const pub = await b.connected(5)
    await publish(pub, 'rh/a', 'r', { qos: 1, retain: true })
    const count = async (retainHandling: 0 | 1 | 2): Promise<number[]> => {
      const sub = await b.connected(5)
      const out: number[] = []
      for (let i = 0; i < 2; i++) {
        await subscribe(sub, [{ topicFilter: 'rh/#', qos: 1, retainHandling }])
        out.push((await drain(sub)).filter(p => p.type === 'publish').length)
      }
      return out
    }
    t.deepEqual(await count(0), [1, 1])
    t.deepEqual(await count(1), [1, 0])
    t.deepEqual(await count(2), [0, 0])
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.8.4-3] v5 [MQTT-3.8.4-4] subscribing again to the same filter resends the retained messages and loses nothing published meanwhile', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const topic = `resub/${v}`
      const pub = await b.connected(v)
      await publish(pub, topic, 'r', { qos: 1, retain: true })
      const sub = await b.connected(v)
      await subscribe(sub, [topic], { qos: 1 })
      t.true((await receive(sub, 1))[0]?.retain)
      // The QoS 1 message published right before the second SUBSCRIBE is still delivered.
      await publish(pub, topic, 'live', { qos: 1 })
      sub.send({ type: 'subscribe', packetId: 77, subscriptions: [{ topicFilter: topic, qos: 1 }] })
      const got = [await sub.next(), await sub.next(), await sub.next()]
      const ack = got.find(p => p.type === 'suback')
      t.deepEqual(ack?.type === 'suback' ? ack.reasonCodes : undefined, [1])
      const pubs = got.flatMap(p => p.type === 'publish' ? [`${text(p)}:${String(p.retain)}`] : [])
      t.deepEqual(pubs.sort(), ['live:false', 'r:true'])
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-5] [MQTT-3.3.2-6] a retained message expires with its Message Expiry Interval, and is forwarded with the time left', async t => {
  const clock = new ManualClock(1_000_000)
  const b = await startBroker({ clock, sysInterval: 0 })
  try {
    const pub = await b.connected(5)
    await publish(pub, 'exp/a', 'short', { qos: 1, retain: true, properties: { messageExpiryInterval: 10 } })
    await publish(pub, 'exp/b', 'forever', { qos: 1, retain: true })
    clock.advance(4000)
    const s1 = await b.connected(5)
    await subscribe(s1, ['exp/#'], { qos: 1 })
    const got = await receive(s1, 2)
    const a = got.find(p => p.topic === 'exp/a')
    t.is(a?.properties?.messageExpiryInterval, 6, '10 s less the 4 s it was kept')
    t.is(got.find(p => p.topic === 'exp/b')?.properties?.messageExpiryInterval, undefined)
    clock.advance(6000)
    const s2 = await b.connected(5)
    await subscribe(s2, ['exp/#'], { qos: 1 })
    const [only] = await receive(s2, 1)
    t.is(only?.topic, 'exp/b', 'the expired retained message is gone')
    t.true(await s2.quiet(200))
  } finally { await b.close() }
})
