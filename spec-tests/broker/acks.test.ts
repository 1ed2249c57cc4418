/**
 * The broker's acknowledgements (3.4-3.7, 3.9, 3.11) and their properties: Reason Strings and
 * User Properties never push an acknowledgement over the client's Maximum Packet Size; PUBREL
 * with bad flags; v5 string properties of PUBLISH that are not well-formed UTF-8.
 */
import test from 'ava'
import { startBroker } from '../_harness/broker.js'
import { closedWith, frame, publish, publishPacket, rawSubscribe, receive, str, subscribe, u16 } from '../_harness/flows.js'

const LONG = 'refused, and here is a long explanation of why: '.repeat(4)

test('v5 [MQTT-3.9.2-1] [MQTT-3.9.2-2] a SUBACK leaves out its Reason String and User Properties when they would exceed the client\'s Maximum Packet Size', async t => {
  const hooks = { authorizeSubscribe: (_c: unknown, s: { topicFilter: string, qos: 0 | 1 | 2 }) => s.topicFilter.startsWith('deny/') ? { reasonCode: 0x87, reasonString: LONG } : s.qos }
  const b = await startBroker({ hooks })
  try {
    const roomy = await b.connected(5)
    roomy.write(rawSubscribe(5, 1, [['deny/a', 1], ['ok/a', 1]]))
    const full = await roomy.expect('suback')
    t.deepEqual(full.reasonCodes, [0x87, 1])
    t.is(full.properties?.reasonString, LONG, 'sent when it fits')
    const tight = await b.connected(5, { properties: { maximumPacketSize: 64 } })
    tight.write(rawSubscribe(5, 2, [['deny/a', 1], ['ok/a', 1]]))
    const small = await tight.expect('suback')
    t.deepEqual(small.reasonCodes, [0x87, 1], 'the SUBACK itself still goes out')
    t.is(small.properties?.reasonString, undefined)
    t.is(small.properties?.userProperties, undefined)
    const quiet = await b.connected(5, { properties: { requestProblemInformation: false } })
    quiet.write(rawSubscribe(5, 3, [['deny/a', 1]]))
    t.is((await quiet.expect('suback')).properties?.reasonString, undefined, 'none when no problem information was requested')
  } finally { await b.close() }
})

test('v5 [MQTT-3.4.2-2] [MQTT-3.4.2-3] [MQTT-3.5.2-2] [MQTT-3.5.2-3] [MQTT-3.6.2-2] [MQTT-3.6.2-3] [MQTT-3.7.2-2] [MQTT-3.7.2-3] [MQTT-3.11.2-1] [MQTT-3.11.2-2] with a small Maximum Packet Size every acknowledgement still arrives, within the limit', async t => {
  const hooks = { authorizePublish: (_c: unknown, m: { topic: string }) => !m.topic.startsWith('deny/') || { reasonCode: 0x87, reasonString: LONG } }
  const b = await startBroker({ hooks })
  try {
    const MAX = 32
    const c = await b.connected(5, { properties: { maximumPacketSize: MAX } })
    await subscribe(c, ['mine/#'], { qos: 2 })
    t.is(await publish(c, 'deny/a', 'x', { qos: 1 }), 0x87)
    t.is(await publish(c, 'deny/a', 'x', { qos: 2 }), 0x87)
    c.send({ type: 'unsubscribe', packetId: 9, topicFilters: ['mine/#', 'never'] })
    const unsuback = await c.expect('unsuback')
    t.deepEqual(unsuback.reasonCodes, [0, 0x11])
    // The broker's own PUBREL as a QoS 2 sender, and PUBCOMP as receiver.
    const other = await b.connected(5)
    await subscribe(c, ['mine/#'], { qos: 2 })
    await publish(other, 'mine/a', 'x', { qos: 2 })
    const [p] = await receive(c, 1)
    c.send({ type: 'pubrec', packetId: p?.packetId as number })
    t.is((await c.expect('pubrel')).packetId, p?.packetId as number)
    c.send({ type: 'pubcomp', packetId: p?.packetId as number })
    c.send(publishPacket('x/y', 'z', { qos: 2, packetId: 77 }))
    await c.expect('pubrec')
    c.send({ type: 'pubrel', packetId: 77 })
    await c.expect('pubcomp')
    // Every byte the broker sent came in packets no larger than MAX.
    const bytes = c.received
    let i = 0
    while (i < bytes.length) {
      let len = 0
      let mul = 1
      let j = i + 1
      for (;;) { const d = bytes[j++] as number; len += (d & 0x7f) * mul; mul *= 128; if ((d & 0x80) === 0) break }
      const size = j - i + len
      if ((bytes[i] as number) >> 4 !== 2) t.true(size <= MAX, `packet type ${(bytes[i] as number) >> 4} of ${size} bytes`)
      i += size
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.6.1-1] v5 [MQTT-3.6.1-1] a PUBREL whose fixed-header flags are not 0010 closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of [4, 5] as const) {
      const c = await b.connected(v)
      c.send(publishPacket('rel/a', 'x', { qos: 2, packetId: 5 }))
      await c.expect('pubrec')
      c.write(frame(0x60, u16(5)))
      const code = await closedWith(c)
      if (v === 5) t.true(code === undefined || code === 0x81)
      t.false(c.queued.some(p => p.type === 'pubcomp'))
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-13] [MQTT-3.3.2-19] a Response Topic or Content Type that is not well-formed UTF-8 closes the connection', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(5)
    await subscribe(sub, ['utf/#'])
    for (const id of [0x08, 0x03]) {
      const c = await b.connected(5)
      const bad = str([0x61, 0xff, 0x62])
      c.write(frame(0x30, str('utf/a'), [bad.length + 1, id], bad, Buffer.from('x')))
      await c.closed()
      t.true(c.isClosed, `property 0x${id.toString(16)}`)
    }
    t.true(await sub.quiet(200))
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.8.0-1] a protocol violation closes the connection that carried it, and only that one', async t => {
  const b = await startBroker()
  try {
    const bystander = await b.connected(4)
    await subscribe(bystander, ['pv/#'])
    for (const bad of [frame(0x90, u16(1), [0]), frame(0x20, [0, 0]), frame(0xd0)]) {
      const c = await b.connected(4)
      c.write(bad)
      await c.closed()
      t.true(c.isClosed)
    }
    const pub = await b.connected(4)
    await publish(pub, 'pv/a', 'still here', { qos: 1 })
    t.is((await receive(bystander, 1))[0]?.topic, 'pv/a')
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.8.0-2] a failure while handling a packet (an authorization hook that throws or rejects) closes that connection', async t => {
  const b = await startBroker({
    hooks: {
      authorizePublish: (_c, m) => {
        if (m.topic === 'boom/throw') throw new Error('hook failed')
        if (m.topic === 'boom/reject') return Promise.reject(new Error('hook failed'))
        return true
      }
    }
  })
  try {
    const sub = await b.connected(4)
    await subscribe(sub, ['boom/#'])
    for (const topic of ['boom/throw', 'boom/reject']) {
      const c = await b.connected(4)
      c.send(publishPacket(topic, 'x', { qos: 1 }))
      await c.closed()
      t.false(c.queued.some(p => p.type === 'puback'), `${topic}: no PUBACK for a message that was not handled`)
    }
    t.true(await sub.quiet(200))
  } finally { await b.close() }
})
