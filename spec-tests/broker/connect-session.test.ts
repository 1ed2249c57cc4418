/**
 * Session state across connections (3.1.2 Clean Start / Clean Session, Session Expiry, 3.1.4
 * takeover, 4.1 session lifetime, 4.2 the network connection), observed through Session
 * Present, kept subscriptions and messages stored while the client was away.
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import type { ConnectPacket, ProtocolVersion } from '../../lib/protocol/packets.js'
import type { RawClient, TestBroker } from '../_harness/broker.js'
import { brokerFor, disconnectedWith, LEVELS } from '../_harness/checks.js'

let seq = 0
const uid = (p: string): string => `${p}${process.pid % 1000}x${++seq}`

/** CONNECT fields for a session that outlives its connection (v5: Session Expiry Interval). */
function persistent (v: ProtocolVersion, clientId: string, expiry = 300): Partial<ConnectPacket> {
  return v === 5 ? { clientId, clean: false, properties: { sessionExpiryInterval: expiry } } : { clientId, clean: false }
}

async function subscribe (c: RawClient, topicFilter: string, qos: 0 | 1 | 2 = 1, packetId = 1): Promise<void> {
  c.send({ type: 'subscribe', packetId, subscriptions: [{ topicFilter, qos }] })
  const ack = await c.expect('suback')
  if (ack.packetId !== packetId || (ack.reasonCodes[0] ?? 0x80) >= 0x80) throw new Error(`SUBSCRIBE ${topicFilter} refused`)
}

async function publish (c: RawClient, topic: string, payload: string, qos: 0 | 1 = 1, packetId = 1): Promise<void> {
  c.send(qos === 0
    ? { type: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false }
    : { type: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false, packetId })
  if (qos === 1) await c.expect('puback')
}

async function connectAck (b: TestBroker, v: ProtocolVersion, fields: Partial<ConnectPacket>): Promise<{ c: RawClient, present: boolean }> {
  const c = await b.client(v)
  const ack = await c.connect(fields)
  if (ack.reasonCode !== 0) throw new Error(`CONNECT refused ${ack.reasonCode}`)
  return { c, present: ack.sessionPresent }
}

async function payloads (t: ExecutionContext, c: RawClient, n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const p = await c.expect('publish')
    out.push(p.payload.toString())
    if (p.qos === 1 && p.packetId !== undefined) c.send({ type: 'puback', packetId: p.packetId })
  }
  t.true(await c.quiet(150), 'nothing more arrives')
  return out
}

test('v5 [MQTT-3.1.2-6] [MQTT-3.2.2-3] [MQTT-3.1.2-23] v3.1.1 [MQTT-3.1.2-4] [MQTT-3.2.2-3] Clean Start/Session 0 without a session: Session Present 0, and a session is created that outlives the connection', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const id = uid('new')
    const first = await connectAck(b, v, persistent(v, id))
    t.false(first.present, `level ${v}: no session yet`)
    await first.c.disconnect()
    const second = await connectAck(b, v, persistent(v, id))
    t.true(second.present, `level ${v}: the session was kept`)
    await second.c.disconnect()
  }
})

test('v5 [MQTT-3.1.2-5] [MQTT-3.2.2-3] [MQTT-3.1.4-4] v3.1.1 [MQTT-3.1.2-4] [MQTT-3.1.2-5] [MQTT-3.2.2-2] [MQTT-3.1.4-3] Clean Start/Session 0 with a session: Session Present 1, its subscriptions kept, QoS 1 messages stored while offline are delivered', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const id = uid('res')
    const topic = `resume/${id}`
    const first = await connectAck(b, v, persistent(v, id))
    await subscribe(first.c, `${topic}/#`, 1)
    await first.c.disconnect()
    const pub = await b.connected(v)
    await publish(pub, `${topic}/a`, 'one')
    await publish(pub, `${topic}/b`, 'two', 1, 2)
    const again = await connectAck(b, v, persistent(v, id))
    t.true(again.present, `level ${v}`)
    t.deepEqual(await payloads(t, again.c, 2), ['one', 'two'], `level ${v}: stored messages`)
    // The subscription is still there for new messages.
    await publish(pub, `${topic}/c`, 'three', 1, 3)
    t.deepEqual(await payloads(t, again.c, 1), ['three'], `level ${v}: kept subscription`)
    await again.c.disconnect()
    await pub.disconnect()
  }
})

test('v5 [MQTT-3.1.2-4] [MQTT-3.1.4-4] [MQTT-3.2.2-2] v3.1.1 [MQTT-3.1.2-6] [MQTT-3.1.4-3] [MQTT-3.2.2-1] Clean Start/Session 1 discards the existing session: Session Present 0, no stored messages, no subscriptions', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const id = uid('cln')
    const topic = `clean/${id}`
    const first = await connectAck(b, v, persistent(v, id))
    await subscribe(first.c, `${topic}/#`, 1)
    await first.c.disconnect()
    const pub = await b.connected(v)
    await publish(pub, `${topic}/a`, 'stored')
    const fresh = await connectAck(b, v, { clientId: id, clean: true })
    t.false(fresh.present, `level ${v}`)
    t.true(await fresh.c.quiet(200), `level ${v}: the stored message went with the old session`)
    await publish(pub, `${topic}/b`, 'later', 1, 2)
    t.true(await fresh.c.quiet(200), `level ${v}: the subscription went with the old session`)
    await fresh.c.disconnect()
    await pub.disconnect()
  }
})

test('v3.1.1 [MQTT-3.1.2-6] [MQTT-4.1.0-2] v5 [MQTT-3.1.2-23] a Clean Session 1 (v5: Session Expiry 0) session ends with its connection', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const id = uid('eph')
    const first = await connectAck(b, v, { clientId: id, clean: true })
    await subscribe(first.c, `eph/${id}`, 1)
    await first.c.disconnect()
    const pub = await b.connected(v)
    await publish(pub, `eph/${id}`, 'lost')
    const again = await connectAck(b, v, v === 5 ? { clientId: id, clean: false } : { clientId: id, clean: false })
    t.false(again.present, `level ${v}`)
    t.true(await again.c.quiet(200), `level ${v}`)
    await again.c.disconnect()
    await pub.disconnect()
  }
})

test('v3.1.1 [MQTT-3.1.3-2] v5 [MQTT-3.1.3-2] the Client Identifier names the session: another identifier does not resume it', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const a = uid('ida')
    const first = await connectAck(b, v, persistent(v, a))
    await first.c.disconnect()
    const other = await connectAck(b, v, persistent(v, `${a}z`))
    t.false(other.present, `level ${v}: a different id`)
    await other.c.disconnect()
    const same = await connectAck(b, v, persistent(v, a))
    t.true(same.present, `level ${v}: the same id`)
    await same.c.disconnect()
  }
})

test('v5 [MQTT-4.1.0-2] [MQTT-3.1.2-23] the session is kept for its Session Expiry Interval and discarded after it', async t => {
  const clock = new ManualClock(1_000_000)
  const b = await brokerFor(t, { clock, sysInterval: 0 })
  const id = uid('exp')
  const first = await connectAck(b, 5, persistent(5, id, 10))
  await subscribe(first.c, `exp/${id}`, 1)
  await first.c.disconnect()
  clock.advance(9_000)
  const second = await connectAck(b, 5, persistent(5, id, 10))
  t.true(second.present, 'reconnected within the interval')
  await second.c.disconnect()
  clock.advance(9_999)
  const pub = await b.connected(5)
  await publish(pub, `exp/${id}`, 'queued')
  clock.advance(1)
  const third = await connectAck(b, 5, persistent(5, id, 10))
  t.false(third.present, 'expired after 10 s away')
  t.true(await third.c.quiet(200), 'the queued message went with the session')
  await publish(pub, `exp/${id}`, 'after', 1, 2)
  t.true(await third.c.quiet(200), 'the subscription went with the session')
})

test('v5 [MQTT-4.1.0-1] v3.1.1 [MQTT-4.1.0-1] [MQTT-4.1.0-2] session state is never discarded while the connection is open, whatever time passes', async t => {
  const clock = new ManualClock(5_000_000)
  const b = await brokerFor(t, { clock, sysInterval: 0 })
  for (const v of LEVELS) {
    const id = uid('live')
    const first = await connectAck(b, v, v === 5 ? persistent(5, id, 5) : { clientId: id, clean: true })
    await subscribe(first.c, `live/${id}`, 1)
    if (v === 5) {
      // Away for less than the interval, then back: the expiry that was running must stop.
      await first.c.disconnect()
      clock.advance(4_000)
      const back = await connectAck(b, v, persistent(5, id, 5))
      t.true(back.present)
      clock.advance(3_600_000)
      const pub = await b.connected(v)
      await publish(pub, `live/${id}`, 'still here')
      t.deepEqual(await payloads(t, back.c, 1), ['still here'], 'level 5')
      await pub.disconnect()
    } else {
      clock.advance(3_600_000)
      const pub = await b.connected(v)
      await publish(pub, `live/${id}`, 'still here')
      t.deepEqual(await payloads(t, first.c, 1), ['still here'], 'level 4')
      await pub.disconnect()
    }
  }
})

test('v3.1.1 [MQTT-3.1.4-2] v5 [MQTT-3.1.4-3] a CONNECT with the Client Identifier of a connected client takes over: the old connection is closed (v5: DISCONNECT 0x8E)', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const id = uid('tko')
    const old = (await connectAck(b, v, persistent(v, id))).c
    await subscribe(old, `takeover/${id}`, 1)
    const fresh = await connectAck(b, v, persistent(v, id))
    t.true(fresh.present, `level ${v}: the session continues on the new connection`)
    await disconnectedWith(t, old, 0x8e, `level ${v} old connection`)
    const pub = await b.connected(v)
    await publish(pub, `takeover/${id}`, 'to the new one')
    t.deepEqual(await payloads(t, fresh.c, 1), ['to the new one'])
    await pub.disconnect()
    await fresh.c.disconnect()
  }
})

test('v3.1.1 [MQTT-3.1.2-7] a retained message outlives the session that published it', async t => {
  const b = await brokerFor(t)
  const pub = await b.connected(4, { clean: true })
  pub.send({ type: 'publish', topic: 'kept/retained', payload: Buffer.from('r'), qos: 1, retain: true, dup: false, packetId: 1 })
  await pub.expect('puback')
  await pub.disconnect()
  const sub = await b.connected(4, { clean: true })
  sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'kept/#', qos: 1 }] })
  await sub.expect('suback')
  const p = await sub.expect('publish')
  t.is(p.topic, 'kept/retained')
  t.true(p.retain)
  t.is(p.payload.toString(), 'r')
})

test('v5 [MQTT-4.2.0-1] v3.1.1 and 5 over TCP: packets arrive whole and in order, both ways', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const sub = await b.connected(v)
    await subscribe(sub, `order/${v}`, 1)
    const pub = await b.connected(v)
    const n = 200
    for (let i = 1; i <= n; i++) pub.send({ type: 'publish', topic: `order/${v}`, payload: Buffer.from(String(i)), qos: 1, retain: false, dup: false, packetId: i })
    const acks: number[] = []
    for (let i = 1; i <= n; i++) acks.push((await pub.expect('puback')).packetId)
    t.deepEqual(acks, Array.from({ length: n }, (_, i) => i + 1))
    t.deepEqual(await payloads(t, sub, n), Array.from({ length: n }, (_, i) => String(i + 1)))
  }
})

test('v5 [MQTT-3.1.2-23] [MQTT-4.1.0-2] a Session Expiry Interval longer than the longest Node.js timer (24.8 days) keeps the session, on the real clock', async t => {
  const b = await brokerFor(t, { sysInterval: 0 })
  for (const expiry of [30 * 86_400, 0xfffffffe]) {
    const id = uid('long')
    const first = await connectAck(b, 5, persistent(5, id, expiry))
    await subscribe(first.c, `long/${id}`, 1)
    await first.c.disconnect()
    await new Promise(resolve => setTimeout(resolve, 100))
    const again = await connectAck(b, 5, persistent(5, id, expiry))
    t.true(again.present, `expiry ${expiry} s: the session is still there`)
    await again.c.disconnect()
  }
})
