/**
 * v5 flow control through the real broker (3.3.4, 4.9): the broker never has more unacknowledged
 * QoS 1/2 PUBLISH packets towards a client than the client's Receive Maximum, a full window
 * holds back nothing else, and the broker enforces its own Receive Maximum.
 */
import test from 'ava'
import { startBroker } from '../_harness/broker.js'
import { closedWith, drain, publish, publishPacket, receive, subscribe, text } from '../_harness/flows.js'

const publishes = (packets: ReadonlyArray<{ type: string }>): number => packets.filter(p => p.type === 'publish').length

test('v5 [MQTT-3.3.4-9] [MQTT-4.9.0-1] [MQTT-4.9.0-2] the broker keeps at most the client\'s Receive Maximum of QoS 1/2 PUBLISH packets unacknowledged', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(5, { properties: { receiveMaximum: 2 } })
    await subscribe(sub, ['fc/#'], { qos: 2 })
    const pub = await b.connected(5)
    for (let i = 0; i < 6; i++) await publish(pub, 'fc/x', String(i), { qos: i % 2 === 0 ? 1 : 2 })
    const window = await drain(sub, 250)
    t.is(publishes(window), 2, 'two in flight, the rest wait')
    const [m0, m1] = window.flatMap(p => p.type === 'publish' ? [p] : [])
    t.deepEqual([m0 && text(m0), m1 && text(m1)], ['0', '1'])
    // QoS 1: PUBACK frees one place.
    sub.send({ type: 'puback', packetId: m0?.packetId as number })
    const [m2] = await receive(sub, 1)
    t.is(m2 && text(m2), '2')
    t.true(await sub.quiet(200))
    // QoS 2: PUBREC does not free a place; PUBCOMP does.
    sub.send({ type: 'pubrec', packetId: m1?.packetId as number })
    const rel = await sub.expect('pubrel')
    t.true(await sub.quiet(200), 'still two unacknowledged (one awaiting PUBCOMP)')
    sub.send({ type: 'pubcomp', packetId: rel.packetId })
    const [m3] = await receive(sub, 1)
    t.is(m3 && text(m3), '3')
    t.true(await sub.quiet(200))
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.4-10] [MQTT-4.9.0-3] with no send quota left the broker still sends every other packet', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(5, { properties: { receiveMaximum: 1 } })
    await subscribe(sub, ['zq/#'], { qos: 2 })
    const pub = await b.connected(5)
    await publish(pub, 'zq/1', 'held', { qos: 1 })
    await publish(pub, 'zq/2', 'waits', { qos: 1 })
    const [held] = await receive(sub, 1)
    t.true(await sub.quiet(200), 'quota is zero now')
    // QoS 0 messages are not held back.
    await publish(pub, 'zq/0', 'free', { qos: 0 })
    const [q0] = await receive(sub, 1)
    t.deepEqual([q0?.qos, q0 && text(q0)], [0, 'free'])
    // Control packets and acknowledgements of the client's own PUBLISHes are answered at once.
    sub.send({ type: 'pingreq' })
    await sub.expect('pingresp')
    sub.send({ type: 'subscribe', packetId: 500, subscriptions: [{ topicFilter: 'zq/more', qos: 1 }] })
    t.is((await sub.expect('suback')).packetId, 500)
    sub.send({ type: 'unsubscribe', packetId: 501, topicFilters: ['zq/more'] })
    t.is((await sub.expect('unsuback')).packetId, 501)
    sub.send(publishPacket('zq-own/1', 'x', { qos: 1, packetId: 600 }))
    t.is((await sub.expect('puback')).packetId, 600)
    sub.send(publishPacket('zq-own/2', 'x', { qos: 2, packetId: 601 }))
    t.is((await sub.expect('pubrec')).packetId, 601)
    sub.send({ type: 'pubrel', packetId: 601 })
    t.is((await sub.expect('pubcomp')).packetId, 601)
    t.true(await sub.quiet(150), 'the second QoS 1 message still waits')
    sub.send({ type: 'puback', packetId: held?.packetId as number })
    const [next] = await receive(sub, 1)
    t.is(next && text(next), 'waits')
  } finally { await b.close() }
})

test('v5 [MQTT-4.9.0-1] [MQTT-3.3.4-9] on a resumed session the resent messages count against the new Receive Maximum', async t => {
  const b = await startBroker()
  try {
    const fields = { clientId: 'fc-resume', clean: false, properties: { sessionExpiryInterval: 60, receiveMaximum: 10 } }
    const sub = await b.connected(5, fields)
    await subscribe(sub, ['fcr/#'], { qos: 1 })
    const pub = await b.connected(5)
    for (let i = 0; i < 3; i++) await publish(pub, 'fcr/x', String(i), { qos: 1 })
    await receive(sub, 3)
    sub.destroy()
    const back = await b.client(5)
    await back.connect({ ...fields, properties: { sessionExpiryInterval: 60, receiveMaximum: 1 } })
    const first = await drain(back, 250)
    t.is(publishes(first), 1)
    const p = first.find(x => x.type === 'publish')
    t.true(p?.type === 'publish' && p.dup && text(p) === '0')
    back.send({ type: 'puback', packetId: p?.type === 'publish' ? p.packetId as number : 0 })
    const [second] = await receive(back, 1)
    t.deepEqual([second && text(second), second?.dup], ['1', true])
    t.true(await back.quiet(200))
  } finally { await b.close() }
})

test('v5 the broker announces its Receive Maximum and disconnects with 0x93 a client that exceeds it', async t => {
  const b = await startBroker({ receiveMaximum: 2 })
  try {
    const c = await b.client(5)
    const ack = await c.connect()
    t.is(ack.properties?.receiveMaximum, 2)
    c.send(publishPacket('rm/a', 'x', { qos: 2, packetId: 1 }))
    c.send(publishPacket('rm/a', 'x', { qos: 2, packetId: 2 }))
    t.is((await c.expect('pubrec')).packetId, 1)
    t.is((await c.expect('pubrec')).packetId, 2)
    // A resent PUBLISH of a flow the broker holds is not a new one.
    c.send(publishPacket('rm/a', 'x', { qos: 2, packetId: 2, dup: true }))
    t.is((await c.expect('pubrec')).packetId, 2)
    c.send(publishPacket('rm/a', 'x', { qos: 2, packetId: 3 }))
    t.is(await closedWith(c), 0x93)
  } finally { await b.close() }
})

test('v5 ending a QoS 2 flow with PUBREL makes room under the broker\'s Receive Maximum', async t => {
  const b = await startBroker({ receiveMaximum: 1 })
  try {
    const c = await b.connected(5)
    for (let id = 1; id <= 5; id++) {
      c.send(publishPacket('rm1/a', 'x', { qos: 2, packetId: id }))
      await c.expect('pubrec')
      c.send({ type: 'pubrel', packetId: id })
      await c.expect('pubcomp')
    }
    t.false(c.isClosed)
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.6.0-6] with maxInflight 2, a 3.1.1 subscriber has at most two unacknowledged QoS 1 messages; the rest follow in order as it acknowledges', async t => {
  const b = await startBroker({ maxInflight: 2 })
  try {
    const sub = await b.connected(4)
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'w', qos: 1 }] })
    await sub.expect('suback')
    const pub = await b.connected(4)
    for (let i = 0; i < 5; i++) {
      pub.send({ type: 'publish', topic: 'w', payload: Buffer.from(`m${i}`), qos: 1, packetId: i + 1, retain: false, dup: false })
      await pub.expect('puback')
    }
    const first = [await sub.expect('publish'), await sub.expect('publish')]
    t.true(await sub.quiet(200), 'a third message waits for an acknowledgement')
    const got = first.map(p => p.payload.toString())
    let inflight = first
    while (got.length < 5) {
      const p = inflight.shift()
      sub.send({ type: 'puback', packetId: p?.packetId ?? 0, reasonCode: 0 })
      const next = await sub.expect('publish')
      got.push(next.payload.toString())
      inflight = [...inflight, next]
    }
    t.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4'])
  } finally { await b.close() }
})
