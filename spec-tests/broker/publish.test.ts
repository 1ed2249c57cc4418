/**
 * PUBLISH through the real broker (sections 3.3, 3.4-3.7, 4.5): flags on the forwarded copy, how
 * the broker answers each QoS, properties forwarded unchanged, malformed PUBLISH packets.
 */
import test from 'ava'
import { startBroker } from '../_harness/broker.js'
import { closedWith, frame, publish, publishPacket, receive, str, subscribe, text, u16 } from '../_harness/flows.js'

const VERSIONS = [4, 5] as const

test('v3.1.1 [MQTT-3.3.1-2] [MQTT-4.3.1-1] v5 [MQTT-3.3.1-2] [MQTT-4.3.1-1] a QoS 0 message is forwarded as QoS 0 with DUP 0', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['q0/+'], { qos: 2 })
      const pub = await b.connected(v)
      await publish(pub, 'q0/a', 'x', { qos: 0 })
      const [p] = await receive(sub, 1)
      t.is(p?.qos, 0)
      t.false(p?.dup)
      t.is(p?.packetId, undefined)
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.1-3] v5 [MQTT-3.3.1-3] DUP on a forwarded PUBLISH is not copied from the incoming one', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['dup/a'], { qos: 1 })
      const pub = await b.connected(v)
      t.is(await publish(pub, 'dup/a', 'first try?', { qos: 1, dup: true }), 0)
      const [p] = await receive(sub, 1)
      t.is(p?.qos, 1)
      t.false(p?.dup, 'a first transmission to the subscriber has DUP 0')
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.4-1] v5 [MQTT-3.3.4-1] the broker answers a PUBLISH by its QoS: nothing, PUBACK, or PUBREC', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      c.send(publishPacket('ans/0', 'a', { qos: 0 }))
      t.true(await c.quiet(200), 'nothing answers QoS 0')
      c.send(publishPacket('ans/1', 'a', { qos: 1, packetId: 11 }))
      const ack = await c.expect('puback')
      t.is(ack.packetId, 11)
      c.send(publishPacket('ans/2', 'a', { qos: 2, packetId: 12 }))
      const rec = await c.expect('pubrec')
      t.is(rec.packetId, 12)
      c.send({ type: 'pubrel', packetId: 12 })
      t.is((await c.expect('pubcomp')).packetId, 12)
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.5.0-1] v5 [MQTT-4.5.0-1] an accepted message goes to every client with a matching subscription', async t => {
  const b = await startBroker()
  try {
    const subs = [await b.connected(4), await b.connected(5), await b.connected(5)]
    await subscribe(subs[0]!, ['all/#'])
    await subscribe(subs[1]!, ['all/+/x'])
    await subscribe(subs[2]!, ['all/a/x'])
    const other = await b.connected(5)
    await subscribe(other, ['all/b/#'])
    const pub = await b.connected(5)
    await publish(pub, 'all/a/x', 'hello', { qos: 1 })
    for (const s of subs) {
      const [p] = await receive(s, 1)
      t.is(p?.topic, 'all/a/x')
      t.is(p && text(p), 'hello')
    }
    t.true(await other.quiet(200), 'a non-matching subscriber gets nothing')
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.2-3] v5 [MQTT-3.3.2-3] the Topic Name sent to a subscriber is the published one, which its filter matches', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['tn/+/end'])
      const pub = await b.connected(v)
      await publish(pub, 'tn/Middle Level/end', 'x')
      const [p] = await receive(sub, 1)
      t.is(p?.topic, 'tn/Middle Level/end')
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-4] [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-18] [MQTT-3.3.2-20] message properties reach the subscriber unchanged, user properties in order', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(5)
    await subscribe(sub, ['props/#'], { qos: 1 })
    const pub = await b.connected(5)
    const userProperties = [['z', '1'], ['a', '2'], ['z', '3'], ['same', 'x'], ['same', 'x']] as const
    await publish(pub, 'props/one', Buffer.from('{"k":1}'), {
      qos: 1,
      properties: {
        payloadFormatIndicator: true,
        contentType: 'application/json; charset=utf-8',
        responseTopic: 'props/reply/here',
        correlationData: Buffer.from([0, 1, 2, 255]),
        userProperties: userProperties.map(([k, v]) => [k, v] as [string, string])
      }
    })
    const [p] = await receive(sub, 1)
    const props = p?.properties
    t.is(props?.payloadFormatIndicator, true)
    t.is(props?.contentType, 'application/json; charset=utf-8')
    t.is(props?.responseTopic, 'props/reply/here')
    t.deepEqual(props?.correlationData, Buffer.from([0, 1, 2, 255]))
    t.deepEqual(props?.userProperties?.map(([k, v]) => `${k}=${v}`), ['z=1', 'a=2', 'z=3', 'same=x', 'same=x'])
    // Payload Format Indicator 0 (absent) stays absent.
    await publish(pub, 'props/two', Buffer.from([0xff, 0xfe]), { qos: 1 })
    const [q] = await receive(sub, 1)
    t.not(q?.properties?.payloadFormatIndicator, true)
    t.deepEqual(q?.payload, Buffer.from([0xff, 0xfe]))
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.1-4] v5 [MQTT-3.3.1-4] a PUBLISH with both QoS bits set closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['#'], { qos: 2 })
      const c = await b.connected(v)
      const body = v === 5 ? [str('q3'), u16(1), [0]] : [str('q3'), u16(1)]
      c.write(frame(0x36, ...body, Buffer.from('x')))
      const code = await closedWith(c)
      if (v === 5) t.true(code === undefined || code === 0x81, `DISCONNECT 0x81 Malformed Packet, got ${String(code)}`)
      t.true(await sub.quiet(200), 'the message is not forwarded')
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.2-2] [MQTT-4.7.1-1] v5 [MQTT-3.3.2-2] [MQTT-4.7.0-1] a PUBLISH whose Topic Name holds a wildcard closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      for (const topic of ['a/+', 'a/#', '#', '+']) {
        const sub = await b.connected(v)
        await subscribe(sub, ['#'])
        const c = await b.connected(v)
        c.write(frame(0x30, str(topic), v === 5 ? [0] : [], Buffer.from('x')))
        const code = await closedWith(c)
        if (v === 5) t.true(code === undefined || code === 0x81 || code === 0x82 || code === 0x90, `topic ${topic}: reason ${String(code)}`)
        t.true(await sub.quiet(100), `nothing forwarded for ${topic}`)
        sub.destroy()
      }
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.2-1] v5 [MQTT-3.3.2-1] a Topic Name that is not well-formed UTF-8 closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      c.write(frame(0x30, str([0x61, 0xc3, 0x28]), v === 5 ? [0] : [], Buffer.from('x')))
      await c.closed()
      t.true(c.isClosed)
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-14] a PUBLISH whose Response Topic holds a wildcard closes the connection', async t => {
  const b = await startBroker()
  try {
    const sub = await b.connected(5)
    await subscribe(sub, ['rt/#'])
    const c = await b.connected(5)
    const rt = str('reply/+')
    c.write(frame(0x30, str('rt/x'), [rt.length + 1, 0x08], rt, Buffer.from('x')))
    const code = await closedWith(c)
    t.true(code === 0x82 || code === 0x81, `reason ${String(code)}`)
    t.true(await sub.quiet(200))
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.3.5-2] an unauthorized PUBLISH is acknowledged by its QoS and not delivered', async t => {
  const b = await startBroker({ hooks: { authorizePublish: (_c, m) => m.topic.startsWith('open/') || { reasonCode: 0x87 } } })
  try {
    const sub = await b.connected(4)
    await subscribe(sub, ['#'], { qos: 2 })
    const c = await b.connected(4)
    t.is(await publish(c, 'closed/a', 'x', { qos: 1 }), 0)
    t.is(await publish(c, 'closed/a', 'x', { qos: 2 }), 0)
    await publish(c, 'open/a', 'y', { qos: 1 })
    const [p] = await receive(sub, 1)
    t.is(p?.topic, 'open/a', 'only the authorized message arrives')
    t.false(c.isClosed)
  } finally { await b.close() }
})

test('v5 [MQTT-3.4.2-1] [MQTT-3.5.2-1] [MQTT-3.6.2-1] [MQTT-3.7.2-1] PUBACK, PUBREC, PUBREL and PUBCOMP from the broker carry defined reason codes', async t => {
  const b = await startBroker({ hooks: { authorizePublish: (_c, m) => !m.topic.startsWith('deny/') || { reasonCode: 0x87 } } })
  try {
    const PUBACK = [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]
    const PUBREL_PUBCOMP = [0x00, 0x92]
    const sub = await b.connected(5)
    await subscribe(sub, ['yes/#'], { qos: 2 })
    const c = await b.connected(5)
    const codes = [
      await publish(c, 'yes/a', 'x', { qos: 1 }),
      await publish(c, 'nobody/a', 'x', { qos: 1 }),
      await publish(c, 'deny/a', 'x', { qos: 1 }),
      await publish(c, 'yes/a', 'x', { qos: 2 }),
      await publish(c, 'deny/a', 'x', { qos: 2 })
    ]
    for (const code of codes) t.true(PUBACK.includes(code), `0x${code.toString(16)} is a PUBACK/PUBREC reason code`)
    t.is(codes[2], 0x87)
    t.is(codes[4], 0x87)
    // PUBCOMP for an unknown id, and the broker's own PUBREL as a sender.
    c.send({ type: 'pubrel', packetId: 999 })
    const comp = await c.expect('pubcomp')
    t.true(PUBREL_PUBCOMP.includes(comp.reasonCode ?? 0))
    const [p1, p2] = await receive(sub, 2)
    t.is(p1?.qos, 1)
    t.is(p2?.qos, 2)
    sub.send({ type: 'puback', packetId: p1?.packetId as number })
    sub.send({ type: 'pubrec', packetId: p2?.packetId as number })
    const rel = await sub.expect('pubrel')
    t.true(PUBREL_PUBCOMP.includes(rel.reasonCode ?? 0))
    sub.send({ type: 'pubcomp', packetId: rel.packetId })
    t.true(await sub.quiet(200))
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.5.0-1] [MQTT-3.3.4-1] v5 [MQTT-4.5.0-1] [MQTT-3.3.4-1] a publisher subscribed to its own topic gets its acknowledgement and its own message', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      for (const qos of [1, 2] as const) {
        const c = await b.connected(v)
        await subscribe(c, ['self/#'], { qos })
        c.send(publishPacket('self/a', 'me', { qos, packetId: 70 }))
        const got = [await c.next(), await c.next()]
        const ack = got.find(p => p.type === (qos === 1 ? 'puback' : 'pubrec'))
        const own = got.find(p => p.type === 'publish')
        t.truthy(ack, `v${v} QoS ${qos}: acknowledged`)
        t.true(own?.type === 'publish' && text(own) === 'me', `v${v} QoS ${qos}: own message delivered`)
        c.destroy()
      }
    }
  } finally { await b.close() }
})
