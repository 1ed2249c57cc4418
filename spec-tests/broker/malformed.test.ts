/**
 * Bad input from a connected client as the broker sees it (1.5 data representation, 2 packet
 * format, v3.1.1 4.8 / v5 4.13 error handling): the offending connection is closed (v5: after a
 * DISCONNECT 0x81 or 0x82), and other clients carry on. Also the packet identifiers and
 * property sections of what the broker itself sends.
 */
import test from 'ava'
import type { TestBroker } from '../_harness/broker.js'
import { firstBytes, frame, str, u16 } from '../_harness/bytes.js'
import { brokerFor, disconnectedWith, LEVELS } from '../_harness/checks.js'
import type { ProtocolVersion } from '../../lib/protocol/packets.js'

const NOT_UTF8 = [0x61, 0xc3, 0x28]
const SURROGATE = [0x61, 0xed, 0xb0, 0x80]
const NUL = [0x61, 0x00]

const props = (v: ProtocolVersion, bytes: readonly number[] = []): Buffer => v === 5 ? Buffer.from([bytes.length, ...bytes]) : Buffer.alloc(0)

/** Sends `bytes` from a fresh connected client; checks it is closed and a bystander is fine. */
async function rejects (b: TestBroker, v: ProtocolVersion, bytes: Buffer, reason: number | undefined, what: string, t: Parameters<typeof disconnectedWith>[0]): Promise<void> {
  const bystander = await b.connected(v)
  const c = await b.connected(v)
  c.write(bytes)
  await disconnectedWith(t, c, reason, what)
  bystander.send({ type: 'pingreq' })
  await bystander.expect('pingresp')
}

test('v3.1.1 [MQTT-1.5.3-1] [MQTT-1.5.3-2] [MQTT-4.8.0-1] v5 [MQTT-1.5.4-1] [MQTT-1.5.4-2] [MQTT-4.13.1-1] ill-formed UTF-8, a surrogate or U+0000 in a topic or filter: the connection is closed (v5: DISCONNECT 0x81)', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    for (const [name, bad] of [['not UTF-8', NOT_UTF8], ['surrogate', SURROGATE], ['U+0000', NUL]] as const) {
      await rejects(b, v, frame(0x30, str(bad), props(v), Buffer.from('x')), 0x81, `level ${v} PUBLISH topic ${name}`, t)
      await rejects(b, v, frame(0x82, u16(1), props(v), str(bad), [0]), 0x81, `level ${v} SUBSCRIBE filter ${name}`, t)
      await rejects(b, v, frame(0xa2, u16(1), props(v), str(bad)), 0x81, `level ${v} UNSUBSCRIBE filter ${name}`, t)
    }
  }
})

test('v5 [MQTT-1.5.7-1] [MQTT-4.13.1-1] a PUBLISH User Property whose name or value is not UTF-8: DISCONNECT 0x81', async t => {
  const b = await brokerFor(t)
  for (const [name, value] of <Array<[Buffer, Buffer]>>[[str(NOT_UTF8), str('v')], [str('n'), str(SURROGATE)], [str('n'), str(NUL)]]) {
    const prop = [0x26, ...name, ...value]
    await rejects(b, 5, frame(0x30, str('up/t'), props(5, prop), Buffer.from('x')), 0x81, 'user property', t)
  }
})

test('v3.1.1 [MQTT-1.5.3-3] v5 [MQTT-1.5.4-3] a topic starting with 0xEF 0xBB 0xBF is routed and delivered with the U+FEFF kept', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const topic = `\uFEFFbom/${v}`
    const sub = await b.connected(v)
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: `\uFEFFbom/+`, qos: 0 }] })
    await sub.expect('suback')
    const other = await b.connected(v)
    other.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'bom/+', qos: 0 }] })
    await other.expect('suback')
    const pub = await b.connected(v)
    pub.write(frame(0x30, str(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`bom/${v}`)])), props(v), Buffer.from('x')))
    const p = await sub.expect('publish')
    t.is(p.topic, topic)
    t.true(sub.received.includes(Buffer.from([0xef, 0xbb, 0xbf, 0x62])), `level ${v}: the bytes on the wire`)
    t.true(await other.quiet(150), `level ${v}: not the same topic as without U+FEFF`)
  }
})

test('v5 [MQTT-1.5.5-1] [MQTT-4.13.1-1] a Variable Byte Integer longer than it needs to be (Remaining Length, Property Length, Subscription Identifier): DISCONNECT 0x81', async t => {
  const b = await brokerFor(t)
  await rejects(b, 5, Buffer.from([0xc0, 0x80, 0x00]), 0x81, 'PINGREQ Remaining Length 0x80 0x00', t)
  // PUBLISH whose Property Length 0 is written in two bytes.
  const body = Buffer.concat([str('vbi/t'), Buffer.from([0x80, 0x00]), Buffer.from('x')])
  await rejects(b, 5, Buffer.concat([Buffer.from([0x30, body.length]), body]), 0x81, 'Property Length 0x80 0x00', t)
  // SUBSCRIBE with Subscription Identifier 1 written as 0x81 0x00.
  await rejects(b, 5, frame(0x82, u16(1), [3, 0x0b, 0x81, 0x00], str('vbi/#'), [0]), 0x81, 'Subscription Identifier 0x81 0x00', t)
  // Five bytes of Remaining Length: malformed at both levels.
  await rejects(b, 4, Buffer.from([0xc0, 0x80, 0x80, 0x80, 0x80, 0x00]), undefined, 'level 4 five-byte Remaining Length', t)
})

test('v3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2] [MQTT-4.8.0-1] v5 [MQTT-2.1.3-1] [MQTT-4.13.1-1] fixed-header flags other than the listed ones, in every packet type that has them, close the connection (v5: DISCONNECT 0x81)', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const p = props(v)
    const bad: Array<[string, Buffer]> = [
      ['PUBACK 0x1', frame(0x41, u16(1))],
      ['PUBREC 0x2', frame(0x52, u16(1))],
      ['PUBREL 0x0', frame(0x60, u16(1))],
      ['PUBCOMP 0x4', frame(0x74, u16(1))],
      ['SUBSCRIBE 0x0', frame(0x80, u16(1), p, str('f/#'), [0])],
      ['UNSUBSCRIBE 0x3', frame(0xa3, u16(1), p, str('f/#'))],
      ['PINGREQ 0x8', Buffer.from([0xc8, 0x00])],
      ['DISCONNECT 0x2', Buffer.from([0xe2, 0x00])],
      ['PUBLISH QoS 3', frame(0x36, str('f'), u16(1), p)],
      ['reserved type 0', Buffer.from([0x00, 0x00])]
    ]
    if (v === 4) bad.push(['type 15 below level 5', Buffer.from([0xf0, 0x00])])
    for (const [name, bytes] of bad) await rejects(b, v, bytes, 0x81, `level ${v} ${name}`, t)
  }
})

test('v3.1.1 [MQTT-2.3.1-1] [MQTT-4.8.0-1] v5 [MQTT-4.13.1-1] a SUBSCRIBE, UNSUBSCRIBE or QoS 1/2 PUBLISH with packet identifier 0 closes the connection', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const p = props(v)
    await rejects(b, v, frame(0x82, u16(0), p, str('z/#'), [0]), undefined, `level ${v} SUBSCRIBE id 0`, t)
    await rejects(b, v, frame(0xa2, u16(0), p, str('z/#')), undefined, `level ${v} UNSUBSCRIBE id 0`, t)
    await rejects(b, v, frame(0x32, str('z/a'), u16(0), p, Buffer.from('x')), undefined, `level ${v} PUBLISH QoS 1 id 0`, t)
    await rejects(b, v, frame(0x34, str('z/a'), u16(0), p, Buffer.from('x')), undefined, `level ${v} PUBLISH QoS 2 id 0`, t)
  }
})

test('v3.1.1 [MQTT-2.3.1-6] [MQTT-2.3.1-7] v5 [MQTT-2.2.1-5] [MQTT-2.2.1-6] PUBACK, PUBREC, PUBCOMP, SUBACK and UNSUBACK carry the identifier of the packet they answer', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const c = await b.connected(v)
    for (const id of [1, 0x1234, 0xbeef, 0xffff]) {
      c.send({ type: 'publish', topic: 'ids/a', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: id })
      t.is((await c.expect('puback')).packetId, id)
      c.send({ type: 'publish', topic: 'ids/b', payload: Buffer.from('x'), qos: 2, retain: false, dup: false, packetId: id })
      t.is((await c.expect('pubrec')).packetId, id)
      c.send({ type: 'pubrel', packetId: id })
      t.is((await c.expect('pubcomp')).packetId, id)
      c.send({ type: 'subscribe', packetId: id, subscriptions: [{ topicFilter: `ids/${id}`, qos: 1 }] })
      t.is((await c.expect('suback')).packetId, id)
      c.send({ type: 'unsubscribe', packetId: id, topicFilters: [`ids/${id}`] })
      t.is((await c.expect('unsuback')).packetId, id)
    }
  }
})

test('v3.1.1 [MQTT-2.3.1-4] [MQTT-2.3.1-6] v5 [MQTT-2.2.1-4] [MQTT-2.2.1-5] the broker gives each QoS 1/2 PUBLISH it sends an unused non-zero identifier, and its PUBREL echoes the PUBREC', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const sub = await b.connected(v)
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'out/#', qos: 2 }] })
    await sub.expect('suback')
    const pub = await b.connected(v)
    const send = (i: number, qos: 1 | 2): void => { pub.send({ type: 'publish', topic: `out/${i}`, payload: Buffer.from(String(i)), qos, retain: false, dup: false, packetId: i }) }
    for (let i = 1; i <= 20; i++) send(i, i % 2 === 0 ? 2 : 1)
    const inFlight = new Map<number, 1 | 2>()
    for (let i = 0; i < 20; i++) {
      const p = await sub.expect('publish')
      t.true(p.packetId !== undefined && p.packetId >= 1 && p.packetId <= 0xffff)
      t.false(inFlight.has(p.packetId as number), `level ${v}: id ${p.packetId} handed out twice while in flight`)
      inFlight.set(p.packetId as number, p.qos as 1 | 2)
    }
    // Complete half of them, then more arrive: none may reuse an id still in flight.
    const done = [...inFlight.keys()].slice(0, 10)
    for (const id of done) {
      if (inFlight.get(id) === 1) sub.send({ type: 'puback', packetId: id })
      else {
        sub.send({ type: 'pubrec', packetId: id })
        t.is((await sub.expect('pubrel')).packetId, id)
        sub.send({ type: 'pubcomp', packetId: id })
      }
      inFlight.delete(id)
    }
    for (let i = 21; i <= 30; i++) send(i, 1)
    for (let i = 21; i <= 30; i++) {
      const p = await sub.expect('publish')
      t.false(inFlight.has(p.packetId as number), `level ${v}: id ${p.packetId} reused while in flight`)
      inFlight.set(p.packetId as number, 1)
    }
  }
})

test('v3.1.1 [MQTT-2.3.1-5] v5 [MQTT-2.2.1-2] a QoS 0 PUBLISH from the broker has no packet identifier on the wire', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const sub = await b.connected(v)
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'q0', qos: 0 }] })
    await sub.expect('suback')
    const before = sub.received.length
    const pub = await b.connected(v)
    pub.send({ type: 'publish', topic: 'q0', payload: Buffer.from('ab'), qos: 0, retain: false, dup: false })
    const p = await sub.expect('publish')
    t.is(p.packetId, undefined)
    // 0x30, Remaining Length, topic (2 + 2), [v5: Property Length 0], payload (2): nothing else.
    t.deepEqual([...sub.received.subarray(before)], [0x30, v === 5 ? 7 : 6, 0, 2, 0x71, 0x30, ...(v === 5 ? [0] : []), 0x61, 0x62])
  }
})

test('v5 [MQTT-2.2.2-1] no properties is written as a Property Length of 0, and read so', async t => {
  const b = await brokerFor(t)
  const c = await b.connected(5)
  const before = c.received.length
  // SUBSCRIBE and PUBLISH with an explicit empty property section.
  c.write(frame(0x82, u16(0x0102), [0], str('pl/#'), [1]))
  const ack = await c.expect('suback')
  t.is(ack.packetId, 0x0102)
  // SUBACK: id, Property Length 0, one reason code.
  t.deepEqual([...c.received.subarray(before)], [0x90, 4, 0x01, 0x02, 0, 1])
  c.write(frame(0x30, str('pl/x'), [0], Buffer.from('y')))
  const p = await c.expect('publish')
  t.is(p.payload.toString(), 'y')
  t.deepEqual(firstBytes(c.received.subarray(before)), [0x90, 0x30])
})

