/**
 * v5 shared subscriptions through the real broker (4.8.2): one member per message, the member's
 * granted QoS, what happens to a message whose member goes away, refused messages.
 */
import test from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import { startBroker, type RawClient } from '../_harness/broker.js'
import { closedWith, drain, publish, rawSubscribe, receive, subscribe, text } from '../_harness/flows.js'

function persistent (clientId: string): Record<string, unknown> {
  return { clientId, clean: false, properties: { sessionExpiryInterval: 300 } }
}

const publishes = (packets: ReadonlyArray<{ type: string }>): number => packets.filter(p => p.type === 'publish').length

test('v5 a message on a shared subscription goes to exactly one member, and members take turns', async t => {
  const b = await startBroker()
  try {
    const members = [await b.connected(5), await b.connected(5), await b.connected(5)]
    for (const m of members) t.deepEqual((await subscribe(m, ['$share/g/sh/#'], { qos: 1 })).reasonCodes, [1])
    const plain = await b.connected(5)
    await subscribe(plain, ['sh/#'], { qos: 1 })
    const other = await b.connected(5)
    await subscribe(other, ['$share/h/sh/#'])
    const pub = await b.connected(5)
    for (let i = 0; i < 9; i++) await publish(pub, 'sh/x', String(i), { qos: 1 })
    const counts: number[] = []
    const seen: string[] = []
    for (const m of members) {
      const got = (await drain(m)).flatMap(p => p.type === 'publish' ? [p] : [])
      counts.push(got.length)
      seen.push(...got.map(text))
      for (const p of got) m.send({ type: 'puback', packetId: p.packetId as number })
    }
    t.is(seen.length, 9, 'each message once among the members')
    t.deepEqual(seen.sort(), Array.from({ length: 9 }, (_x, i) => String(i)).sort())
    t.true(counts.every(n => n > 0), `every member had a turn: ${counts.join(',')}`)
    t.is(publishes(await drain(plain)), 9, 'a non-shared subscription still gets every message')
    t.is(publishes(await drain(other)), 9, 'another share group gets every message too')
  } finally { await b.close() }
})

test('v5 [MQTT-4.8.2-3] a shared delivery respects the granted QoS of the chosen member', async t => {
  const b = await startBroker()
  try {
    const m = await b.connected(5)
    await subscribe(m, ['$share/q/shq/#'], { qos: 0 })
    const pub = await b.connected(5)
    await publish(pub, 'shq/a', 'x', { qos: 2 })
    const [p] = await receive(m, 1)
    t.is(p?.qos, 0)
  } finally { await b.close() }
})

test('v5 [MQTT-4.8.2-1] [MQTT-4.8.2-2] a shared filter needs a non-empty ShareName without wildcards or "/", followed by "/" and a filter', async t => {
  const b = await startBroker()
  try {
    for (const filter of ['$share//x', '$share/g', '$share/g/', '$share/a+b/x', '$share/g#/x', '$share/+/x']) {
      const c = await b.connected(5)
      c.write(rawSubscribe(5, 3, [[filter, 0]]))
      const first = await c.next().catch(() => undefined)
      if (first?.type === 'suback') {
        t.true((first.reasonCodes[0] ?? 0) >= 0x80, `${filter} refused in SUBACK`)
      } else {
        t.true(c.isClosed || first?.type === 'disconnect', `${filter} ends the connection`)
      }
      c.destroy()
    }
    // A well-formed one works, also when the filter has wildcards and the ShareName has '$'.
    const ok = await b.connected(5)
    t.deepEqual((await subscribe(ok, ['$share/$g/a/+/#'])).reasonCodes, [0])
  } finally { await b.close() }
})

test('v5 [MQTT-4.8.2-4] a QoS 2 shared delivery broken off by a lost connection is completed to the same member when it reconnects', async t => {
  const b = await startBroker()
  try {
    const a = await b.connected(5, persistent('share-a'))
    await subscribe(a, ['$share/g2/s2/#'], { qos: 2 })
    const pub = await b.connected(5)
    await publish(pub, 's2/x', 'only-a', { qos: 2 })
    const [p] = await receive(a, 1)
    // B joins after A had the message; A's connection breaks before PUBREC.
    const other = await b.connected(5)
    await subscribe(other, ['$share/g2/s2/#'], { qos: 2 })
    a.destroy()
    t.true(await other.quiet(300), 'the message is not given to another member')
    const back = await b.client(5)
    t.true((await back.connect(persistent('share-a'))).sessionPresent)
    const [again] = await receive(back, 1)
    t.is(again && text(again), 'only-a')
    t.true(again?.dup)
    t.is(again?.packetId, p?.packetId as number)
  } finally { await b.close() }
})

test('v5 [MQTT-4.8.2-5] when the session of that member ends first, the QoS 2 message goes to no other member', async t => {
  const b = await startBroker()
  try {
    const a = await b.connected(5, { clientId: 'share-end-a' })
    await subscribe(a, ['$share/g3/s3/#'], { qos: 2 })
    const pub = await b.connected(5)
    await publish(pub, 's3/x', 'x', { qos: 2 })
    await receive(a, 1)
    const other = await b.connected(5)
    await subscribe(other, ['$share/g3/s3/#'], { qos: 2 })
    a.destroy() // Session Expiry 0: the session ends with the connection.
    t.true(await other.quiet(400))
  } finally { await b.close() }
})

test('v5 [MQTT-4.8.2-6] a shared message refused with a failure PUBACK or PUBREC is discarded, not sent to another member', async t => {
  const b = await startBroker()
  try {
    const a = await b.connected(5)
    await subscribe(a, ['$share/g4/s4/#'], { qos: 2 })
    const pub = await b.connected(5)
    await publish(pub, 's4/1', 'one', { qos: 1 })
    await publish(pub, 's4/2', 'two', { qos: 2 })
    const [p1, p2] = await receive(a, 2)
    const other = await b.connected(5)
    await subscribe(other, ['$share/g4/s4/#'], { qos: 2 })
    a.send({ type: 'puback', packetId: p1?.packetId as number, reasonCode: 0x80 })
    a.send({ type: 'pubrec', packetId: p2?.packetId as number, reasonCode: 0x83 })
    await a.quiet(100)
    a.destroy()
    t.true(await other.quiet(400))
  } finally { await b.close() }
})

/** Two members; A gets `n` QoS 1 messages and leaves them unacknowledged. */
async function unackedAtA (b: Awaited<ReturnType<typeof startBroker>>, group: string, n: number, aFields: Record<string, unknown> = {}): Promise<{ a: RawClient, other: RawClient, pub: RawClient }> {
  const a = await b.connected(5, aFields)
  await subscribe(a, [`$share/${group}/${group}/#`], { qos: 1 })
  const pub = await b.connected(5)
  for (let i = 0; i < n; i++) await publish(pub, `${group}/x`, `m${i}`, { qos: 1 })
  await receive(a, n)
  const other = await b.connected(5)
  await subscribe(other, [`$share/${group}/${group}/#`], { qos: 1 })
  return { a, other, pub }
}

test('v5 a QoS 1 shared message left unacknowledged by a member whose session ends is sent to another member', async t => {
  const b = await startBroker()
  try {
    const { a, other } = await unackedAtA(b, 'rd1', 3)
    a.destroy()
    const got = await receive(other, 3)
    t.deepEqual(got.map(text), ['m0', 'm1', 'm2'], 'in their original order')
    t.true(got.every(p => p.qos === 1 && p.topic === 'rd1/x'))
    for (const p of got) other.send({ type: 'puback', packetId: p.packetId as number })
    t.true(await other.quiet(200))
  } finally { await b.close() }
})

test('v5 QoS 1 shared messages still queued for a member (Receive Maximum reached) go to another member when its session ends', async t => {
  const b = await startBroker()
  try {
    const a = await b.connected(5, { properties: { receiveMaximum: 1 } })
    await subscribe(a, ['$share/rd2/rd2/#'], { qos: 1 })
    const pub = await b.connected(5)
    for (let i = 0; i < 4; i++) await publish(pub, 'rd2/x', `m${i}`, { qos: 1 })
    await receive(a, 1)
    const other = await b.connected(5)
    await subscribe(other, ['$share/rd2/rd2/#'], { qos: 1 })
    await a.disconnect()
    const got = await receive(other, 4)
    t.deepEqual(got.map(text).sort(), ['m0', 'm1', 'm2', 'm3'])
  } finally { await b.close() }
})

test('v5 [MQTT-4.8.2-4] [MQTT-4.8.2-5] QoS 2 shared messages still queued for a member (never sent) go to another member when its session ends; the one already sent does not', async t => {
  const b = await startBroker()
  try {
    const a = await b.connected(5, { properties: { receiveMaximum: 1 } })
    await subscribe(a, ['$share/rq2/rq2/#'], { qos: 2 })
    const pub = await b.connected(5)
    for (let i = 0; i < 4; i++) await publish(pub, 'rq2/x', `m${i}`, { qos: 2 })
    const [sent] = await receive(a, 1)
    t.is(sent === undefined ? '' : text(sent), 'm0')
    const other = await b.connected(5)
    await subscribe(other, ['$share/rq2/rq2/#'], { qos: 2 })
    await a.disconnect()
    const got = await receive(other, 3)
    t.deepEqual(got.map(text).sort(), ['m1', 'm2', 'm3'])
    t.true(await other.quiet(300), 'm0 was in flight to the ended session: it goes to no one else')
  } finally { await b.close() }
})

test('v5 a QoS 1 message on a QoS 2 shared subscription is delivered at QoS 1 and moves to another member when the session ends unacknowledged', async t => {
  const b = await startBroker()
  try {
    const a = await b.connected(5)
    await subscribe(a, ['$share/m12/m12/#'], { qos: 2 })
    const pub = await b.connected(5)
    await publish(pub, 'm12/x', 'one', { qos: 1 })
    const [p] = await receive(a, 1)
    t.is(p?.qos, 1)
    const other = await b.connected(5)
    await subscribe(other, ['$share/m12/m12/#'], { qos: 2 })
    await a.disconnect()
    const got = await receive(other, 1)
    t.deepEqual(got.map(text), ['one'])
  } finally { await b.close() }
})

test('v5 a QoS 1 shared message acknowledged before the member left is not sent again', async t => {
  const b = await startBroker()
  try {
    const a = await b.connected(5)
    await subscribe(a, ['$share/rd3/rd3/#'], { qos: 1 })
    const pub = await b.connected(5)
    await publish(pub, 'rd3/x', 'done', { qos: 1 })
    const [p] = await receive(a, 1)
    a.send({ type: 'puback', packetId: p?.packetId as number })
    const other = await b.connected(5)
    await subscribe(other, ['$share/rd3/rd3/#'], { qos: 1 })
    await a.quiet(100)
    a.destroy()
    t.true(await other.quiet(300))
  } finally { await b.close() }
})

test('v5 [MQTT-3.8.3-4] No Local on a shared subscription closes the connection with 0x82', async t => {
  const b = await startBroker()
  try {
    const c = await b.connected(5)
    c.write(rawSubscribe(5, 8, [['$share/g/x', 0x05]]))
    t.is(await closedWith(c), 0x82)
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-5] [MQTT-3.3.2-6] a shared message moved to another member keeps counting down its Message Expiry, and is dropped once expired', async t => {
  const clock = new ManualClock(20_000_000)
  const b = await startBroker({ clock, sysInterval: 0 })
  try {
    const a = await b.connected(5)
    await subscribe(a, ['$share/rdx/rdx/#'], { qos: 1 })
    const pub = await b.connected(5)
    await publish(pub, 'rdx/long', 'l', { qos: 1, properties: { messageExpiryInterval: 60 } })
    await publish(pub, 'rdx/short', 's', { qos: 1, properties: { messageExpiryInterval: 10 } })
    await receive(a, 2)
    const other = await b.connected(5)
    await subscribe(other, ['$share/rdx/rdx/#'], { qos: 1 })
    clock.advance(20_000)
    a.destroy()
    const [p] = await receive(other, 1)
    t.is(p?.topic, 'rdx/long')
    t.is(p?.properties?.messageExpiryInterval, 40, '60 s less the 20 s it has waited')
    t.true(await other.quiet(300), 'the expired one is not moved')
  } finally { await b.close() }
})

test('v5 retained messages are not sent for a new shared subscription', async t => {
  const b = await startBroker()
  try {
    const pub = await b.connected(5)
    await publish(pub, 'shr/a', 'kept', { qos: 1, retain: true })
    const m = await b.connected(5)
    await subscribe(m, ['$share/g/shr/#'], { qos: 1 })
    t.true(await m.quiet(250))
  } finally { await b.close() }
})
