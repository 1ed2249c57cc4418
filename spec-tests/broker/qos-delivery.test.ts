/**
 * QoS 1 and QoS 2 flows through the real broker (4.3, 4.4), with the broker as receiver (from a
 * publisher) and as sender (to a subscriber), including what survives a reconnect.
 */
import test from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import { startBroker, type RawClient } from '../_harness/broker.js'
import { publish, publishPacket, receive, subscribe, text } from '../_harness/flows.js'

const VERSIONS = [4, 5] as const

/** CONNECT fields for a session that outlives its connection. */
function persistent (v: 4 | 5, clientId: string): Record<string, unknown> {
  return v === 5 ? { clientId, clean: false, properties: { sessionExpiryInterval: 300 } } : { clientId, clean: false }
}

async function resume (b: Awaited<ReturnType<typeof startBroker>>, v: 4 | 5, clientId: string): Promise<RawClient> {
  const c = await b.client(v)
  const ack = await c.connect(persistent(v, clientId))
  if (!ack.sessionPresent) throw new Error('session not present')
  return c
}

test('v3.1.1 [MQTT-4.3.2-2] v5 [MQTT-4.3.2-4] [MQTT-4.3.2-5] the broker answers a QoS 1 PUBLISH with a PUBACK of the same id; that id then starts a new message', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['r1/#'])
      const c = await b.connected(v)
      c.send(publishPacket('r1/a', 'first', { qos: 1, packetId: 9 }))
      t.is((await c.expect('puback')).packetId, 9)
      c.send(publishPacket('r1/a', 'second', { qos: 1, packetId: 9, dup: true }))
      t.is((await c.expect('puback')).packetId, 9)
      const got = await receive(sub, 2)
      t.deepEqual(got.map(text), ['first', 'second'], 'the reused id with DUP 1 is a new message')
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-8] [MQTT-4.3.3-10] [MQTT-4.3.3-11] [MQTT-4.3.3-12] the broker as QoS 2 receiver: PUBREC, PUBREC again for a duplicate without a second delivery, PUBCOMP on PUBREL, then the id is new', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['r2/#'])
      const c = await b.connected(v)
      c.send(publishPacket('r2/a', 'once', { qos: 2, packetId: 21 }))
      t.is((await c.expect('pubrec')).packetId, 21)
      c.send(publishPacket('r2/a', 'once', { qos: 2, packetId: 21, dup: true }))
      t.is((await c.expect('pubrec')).packetId, 21, 'a duplicate gets PUBREC again')
      c.send({ type: 'pubrel', packetId: 21 })
      t.is((await c.expect('pubcomp')).packetId, 21)
      c.send(publishPacket('r2/a', 'again', { qos: 2, packetId: 21 }))
      t.is((await c.expect('pubrec')).packetId, 21)
      c.send({ type: 'pubrel', packetId: 21 })
      t.is((await c.expect('pubcomp')).packetId, 21)
      const got = await receive(sub, 2)
      t.deepEqual(got.map(text), ['once', 'again'])
      t.true(await sub.quiet(200), 'the duplicate was not delivered onward')
    }
  } finally { await b.close() }
})

test('v5 [MQTT-4.3.3-9] after a PUBREC with a failure reason code, the same packet id starts a new message', async t => {
  const b = await startBroker({ hooks: { authorizePublish: (_c, m) => !m.topic.startsWith('deny/') || { reasonCode: 0x87 } } })
  try {
    const sub = await b.connected(5)
    await subscribe(sub, ['#'])
    const c = await b.connected(5)
    c.send(publishPacket('deny/a', 'no', { qos: 2, packetId: 31 }))
    t.is((await c.expect('pubrec')).reasonCode, 0x87)
    c.send(publishPacket('ok/a', 'yes', { qos: 2, packetId: 31 }))
    const rec = await c.expect('pubrec')
    t.is(rec.reasonCode ?? 0, 0)
    c.send({ type: 'pubrel', packetId: 31 })
    await c.expect('pubcomp')
    const [p] = await receive(sub, 1)
    t.is(p && text(p), 'yes')
  } finally { await b.close() }
})

test('v5 [MQTT-4.3.3-13] the broker completes a QoS 2 exchange even when the message expired meanwhile', async t => {
  const clock = new ManualClock(5_000_000)
  const b = await startBroker({ clock, sysInterval: 0 })
  try {
    const c = await b.connected(5)
    c.send(publishPacket('x2/a', 'brief', { qos: 2, packetId: 41, properties: { messageExpiryInterval: 1 } }))
    await c.expect('pubrec')
    clock.advance(10_000)
    c.send({ type: 'pubrel', packetId: 41 })
    t.is((await c.expect('pubcomp')).packetId, 41)
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.3.2-1] v5 [MQTT-4.3.2-1] [MQTT-4.3.2-2] [MQTT-4.3.2-3] the broker sends QoS 1 with unused ids and DUP 0, and holds each message until its PUBACK', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const clientId = `s1-${v}`
      const sub = await b.connected(v, persistent(v, clientId))
      await subscribe(sub, ['s1/#'], { qos: 1 })
      const pub = await b.connected(v)
      for (let i = 0; i < 6; i++) await publish(pub, 's1/a', `m${i}`, { qos: 1 })
      const got = await receive(sub, 6)
      t.true(got.every(p => p.qos === 1 && !p.dup))
      t.is(new Set(got.map(p => p.packetId)).size, 6, 'distinct ids while unacknowledged')
      // Acknowledge the even ones; the others stay unacknowledged and come back after a reconnect.
      for (const p of got.filter((_p, i) => i % 2 === 0)) sub.send({ type: 'puback', packetId: p.packetId as number })
      t.true(await sub.quiet(200), 'nothing is resent on the same connection')
      sub.destroy()
      const back = await resume(b, v, clientId)
      const again = await receive(back, 3)
      t.deepEqual(again.map(text), ['m1', 'm3', 'm5'])
      t.deepEqual(again.map(p => p.packetId), [got[1], got[3], got[5]].map(p => p?.packetId))
      t.true(again.every(p => p.dup))
      for (const p of again) back.send({ type: 'puback', packetId: p.packetId as number })
      // The next new message uses an id no unacknowledged message holds, with DUP 0.
      await publish(pub, 's1/a', 'next', { qos: 1 })
      const [n] = await receive(back, 1)
      t.false(n?.dup)
      t.true(n?.packetId !== undefined && n.packetId >= 1 && n.packetId <= 65535)
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.3.3-1] v5 [MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-4.3.3-3] [MQTT-4.3.3-4] [MQTT-4.3.3-5] [MQTT-4.3.3-6] the broker as QoS 2 sender: PUBLISH DUP 0, PUBREL on PUBREC, PUBREL (never PUBLISH) resent until PUBCOMP', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const clientId = `s2-${v}`
      const sub = await b.connected(v, persistent(v, clientId))
      await subscribe(sub, ['s2/#'], { qos: 2 })
      const pub = await b.connected(v)
      await publish(pub, 's2/a', 'a', { qos: 2 })
      await publish(pub, 's2/b', 'b', { qos: 2 })
      const [pa, pb] = await receive(sub, 2)
      t.true(pa?.qos === 2 && !pa.dup && pb?.qos === 2 && !pb.dup)
      t.not(pa?.packetId, pb?.packetId)
      // 'a' reaches PUBREL; 'b' stays unacknowledged.
      sub.send({ type: 'pubrec', packetId: pa?.packetId as number })
      const rel = await sub.expect('pubrel')
      t.is(rel.packetId, pa?.packetId as number)
      sub.destroy()
      const back = await resume(b, v, clientId)
      const resent = [await back.next(), await back.next()]
      t.deepEqual(resent.map(p => p.type), ['pubrel', 'publish'], 'in the original order: PUBREL for a, PUBLISH for b')
      const [r0, r1] = resent
      t.is(r0?.type === 'pubrel' ? r0.packetId : -1, pa?.packetId as number)
      t.true(r1?.type === 'publish' && r1.dup && r1.packetId === pb?.packetId && text(r1) === 'b')
      back.send({ type: 'pubcomp', packetId: pa?.packetId as number })
      back.send({ type: 'pubrec', packetId: pb?.packetId as number })
      t.is((await back.expect('pubrel')).packetId, pb?.packetId as number)
      back.send({ type: 'pubcomp', packetId: pb?.packetId as number })
      t.true(await back.quiet(200))
      // Completed flows are not resent after one more reconnect.
      back.destroy()
      const third = await resume(b, v, clientId)
      t.true(await third.quiet(200))
    }
  } finally { await b.close() }
})

test('v5 [MQTT-4.4.0-2] a PUBACK or PUBREC with a failure reason code acknowledges the message: it is never resent', async t => {
  const b = await startBroker()
  try {
    const clientId = 'neg-ack'
    const sub = await b.connected(5, persistent(5, clientId))
    await subscribe(sub, ['neg/#'], { qos: 2 })
    const pub = await b.connected(5)
    await publish(pub, 'neg/1', 'a', { qos: 1 })
    await publish(pub, 'neg/2', 'b', { qos: 2 })
    const [p1, p2] = await receive(sub, 2)
    sub.send({ type: 'puback', packetId: p1?.packetId as number, reasonCode: 0x80 })
    sub.send({ type: 'pubrec', packetId: p2?.packetId as number, reasonCode: 0x80 })
    t.true(await sub.quiet(200), 'no PUBREL follows a failed PUBREC')
    sub.destroy()
    const back = await resume(b, 5, clientId)
    t.true(await back.quiet(300), 'nothing is resent')
  } finally { await b.close() }
})

test('v5 [MQTT-4.3.3-7] a QoS 2 message already sent does not expire: it is resent after its expiry interval has passed', async t => {
  const clock = new ManualClock(7_000_000)
  const b = await startBroker({ clock, sysInterval: 0 })
  try {
    const clientId = 'q2-expiry'
    const sub = await b.connected(5, persistent(5, clientId))
    await subscribe(sub, ['q2x/#'], { qos: 2 })
    const pub = await b.connected(5)
    await publish(pub, 'q2x/a', 'x', { qos: 2, properties: { messageExpiryInterval: 2 } })
    await publish(pub, 'q2x/b', 'y', { qos: 1, properties: { messageExpiryInterval: 2 } })
    const [p, q] = await receive(sub, 2)
    sub.destroy()
    clock.advance(60_000)
    const back = await resume(b, 5, clientId)
    const again = await receive(back, 2)
    t.deepEqual(again.map(x => [x.packetId, x.dup]), [[p?.packetId, true], [q?.packetId, true]])
  } finally { await b.close() }
})
