/**
 * The Will Message (v3.1.1 3.1.2.5, v5 3.1.2.5 and 3.1.3.2): published when the connection ends
 * in any way but a normal DISCONNECT, retained or not per Will Retain, removed once published or
 * once DISCONNECT arrives, and in v5 held back for its Will Delay Interval (on a ManualClock).
 */
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import type { ConnectPacket, ProtocolVersion, PublishPacket, Will } from '../../lib/protocol/packets.js'
import type { RawClient, TestBroker } from '../_harness/broker.js'
import { brokerFor, LEVELS } from '../_harness/checks.js'

let seq = 0
const uniq = (p: string): string => `${p}-${process.pid % 1000}-${++seq}`
const settle = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 60))

function will (topic: string, extra: Partial<Will> = {}): Will {
  return { topic, payload: Buffer.from('gone'), qos: 1, retain: false, ...extra }
}

async function watch (b: TestBroker, v: ProtocolVersion, filter: string): Promise<RawClient> {
  const w = await b.connected(v)
  w.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: filter, qos: 2 }] })
  await w.expect('suback')
  return w
}

async function willArrives (t: ExecutionContext, w: RawClient, topic: string, what: string): Promise<PublishPacket> {
  const p = await w.expect('publish')
  t.is(p.topic, topic, what)
  t.is(p.payload.toString(), 'gone', what)
  if (p.packetId !== undefined) w.send(p.qos === 1 ? { type: 'puback', packetId: p.packetId } : { type: 'pubrec', packetId: p.packetId })
  return p
}

function withWill (_v: ProtocolVersion, w: Will, fields: Partial<ConnectPacket> = {}): Partial<ConnectPacket> {
  return { will: w, ...fields }
}

test('v3.1.1 [MQTT-3.1.2-8] [MQTT-3.1.2-16] v5 [MQTT-3.1.2-7] [MQTT-3.1.2-8] [MQTT-3.1.2-14] a connection lost without DISCONNECT publishes the will, as a non-retained message when Will Retain is 0', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const topic = uniq('will/lost')
    const w = await watch(b, v, topic)
    const c = await b.connected(v, withWill(v, will(topic)))
    t.true(await w.quiet(100), `level ${v}: nothing while connected`)
    c.destroy()
    const p = await willArrives(t, w, topic, `level ${v}`)
    t.is(p.qos, 1)
    // Not retained: a later subscriber gets nothing.
    const late = await watch(b, v, topic)
    t.true(await late.quiet(150), `level ${v}: the will was not retained`)
  }
})

test('v3.1.1 [MQTT-3.1.2-17] v5 [MQTT-3.1.2-15] Will Retain 1: the will is published as a retained message', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const topic = uniq('will/retained')
    const c = await b.connected(v, withWill(v, will(topic, { retain: true })))
    c.destroy()
    await settle()
    const late = await watch(b, v, topic)
    const p = await willArrives(t, late, topic, `level ${v}`)
    t.true(p.retain, `level ${v}: delivered from the retained store`)
  }
})

test('v3.1.1 [MQTT-3.1.2-10] [MQTT-3.14.4-3] v5 [MQTT-3.1.2-10] [MQTT-3.14.4-3] DISCONNECT (v5: reason 0x00) removes the will: it is never published', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const topic = uniq('will/normal')
    const w = await watch(b, v, topic)
    const c = await b.connected(v, withWill(v, will(topic)))
    await c.disconnect()
    t.true(await w.quiet(200), `level ${v}`)
  }
})

test('v5 [MQTT-3.1.2-8] DISCONNECT with reason 0x04 (with will message) keeps the will, which is then published', async t => {
  const b = await brokerFor(t)
  const topic = uniq('will/0x04')
  const w = await watch(b, 5, topic)
  const c = await b.connected(5, withWill(5, will(topic)))
  c.send({ type: 'disconnect', reasonCode: 0x04 })
  await willArrives(t, w, topic, 'reason 0x04')
})

test('v3.1.1 [MQTT-3.1.2-12] a connection without a will publishes nothing when it is lost', async t => {
  const b = await brokerFor(t)
  const w = await watch(b, 4, '#')
  const c = await b.connected(4)
  c.destroy()
  t.true(await w.quiet(200))
})

test('v3.1.1 [MQTT-3.1.2-8] v5 [MQTT-3.1.2-8] a connection the server closes for a protocol error or a keep-alive timeout publishes the will', async t => {
  const clock = new ManualClock(0)
  const b = await brokerFor(t, { clock, sysInterval: 0 })
  for (const v of LEVELS) {
    const topic = uniq('will/error')
    const w = await watch(b, v, topic)
    const c = await b.connected(v, withWill(v, will(topic)))
    c.write([0x36, 0x00]) // PUBLISH with QoS 3: malformed
    await c.closed()
    await willArrives(t, w, topic, `level ${v} malformed packet`)
    const topic2 = uniq('will/keepalive')
    const w2 = await watch(b, v, topic2)
    await b.connected(v, withWill(v, will(topic2), { keepAlive: 2 }))
    clock.advance(3_000)
    await willArrives(t, w2, topic2, `level ${v} keep alive`)
  }
})

test('v3.1.1 [MQTT-3.1.2-10] v5 [MQTT-3.1.2-10] a published will is removed: the same session does not publish it again', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const topic = uniq('will/once')
    const id = uniq('once')
    const fields: Partial<ConnectPacket> = v === 5 ? { clientId: id, clean: false, properties: { sessionExpiryInterval: 60 } } : { clientId: id, clean: false }
    const w = await watch(b, v, topic)
    const c = await b.connected(v, withWill(v, will(topic), fields))
    c.destroy()
    await willArrives(t, w, topic, `level ${v}`)
    // Back on the same session without a will, then lost again: nothing more.
    const again = await b.connected(v, fields)
    again.destroy()
    t.true(await w.quiet(200), `level ${v}: published once only`)
  }
})

test('v5 [MQTT-3.1.2-8] the will waits for its Will Delay Interval after the connection is lost', async t => {
  const clock = new ManualClock(0)
  const b = await brokerFor(t, { clock, sysInterval: 0 })
  const topic = uniq('will/delay')
  const w = await watch(b, 5, topic)
  const c = await b.connected(5, withWill(5, will(topic, { properties: { willDelayInterval: 10 } }), { clean: false, properties: { sessionExpiryInterval: 100 } }))
  c.destroy()
  await settle()
  clock.advance(9_999)
  t.true(await w.quiet(100), 'not before 10 s')
  clock.advance(1)
  await willArrives(t, w, topic, 'after 10 s')
})

test('v5 [MQTT-3.1.2-8] a session that ends before the Will Delay Interval publishes the will when it ends', async t => {
  const clock = new ManualClock(0)
  const b = await brokerFor(t, { clock, sysInterval: 0 })
  const topic = uniq('will/session-end')
  const w = await watch(b, 5, topic)
  const c = await b.connected(5, withWill(5, will(topic, { properties: { willDelayInterval: 100 } }), { clean: false, properties: { sessionExpiryInterval: 5 } }))
  c.destroy()
  await settle()
  clock.advance(4_999)
  t.true(await w.quiet(100))
  clock.advance(1)
  await willArrives(t, w, topic, 'at session end')
})

test('v5 [MQTT-3.1.3-9] [MQTT-3.1.2-8] reconnecting to the session within the Will Delay Interval: the will is not sent', async t => {
  const clock = new ManualClock(0)
  const b = await brokerFor(t, { clock, sysInterval: 0 })
  const topic = uniq('will/back')
  const id = uniq('back')
  const w = await watch(b, 5, topic)
  const c = await b.connected(5, withWill(5, will(topic, { properties: { willDelayInterval: 10 } }), { clientId: id, clean: false, properties: { sessionExpiryInterval: 100 } }))
  c.destroy()
  await settle()
  clock.advance(5_000)
  const back = await b.client(5)
  t.true((await back.connect({ clientId: id, clean: false, properties: { sessionExpiryInterval: 100 } })).sessionPresent)
  clock.advance(60_000)
  t.true(await w.quiet(200), 'the will was cancelled by the new connection')
})

test('v5 [MQTT-3.1.3-10] the will is published with its User Properties in order, and its other message properties', async t => {
  const b = await brokerFor(t)
  const topic = uniq('will/props')
  const w = await watch(b, 5, topic)
  const userProperties: Array<[string, string]> = [['z', '1'], ['a', '2'], ['z', '3'], ['m', '']]
  const c = await b.connected(5, withWill(5, will(topic, {
    properties: { userProperties, contentType: 'text/plain', payloadFormatIndicator: true, responseTopic: 'reply/here', correlationData: Buffer.from([1, 2, 3]), willDelayInterval: 0 }
  })))
  c.destroy()
  const p = await willArrives(t, w, topic, 'with properties')
  t.deepEqual(p.properties?.userProperties, userProperties)
  t.is(p.properties?.contentType, 'text/plain')
  t.is(p.properties?.payloadFormatIndicator, true)
  t.is(p.properties?.responseTopic, 'reply/here')
  t.deepEqual(p.properties?.correlationData, Buffer.from([1, 2, 3]))
})

test('v3.1.1 [MQTT-3.1.2-8] v5 [MQTT-3.1.2-8] a connection taken over by a new one with the same Client Identifier publishes its will (v5: new connection with Clean Start 1)', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const topic = uniq('will/takeover')
    const id = uniq('tk')
    const w = await watch(b, v, topic)
    const old = await b.connected(v, withWill(v, will(topic), { clientId: id }))
    const fresh = await b.connected(v, { clientId: id, clean: true })
    await old.closed()
    await willArrives(t, w, topic, `level ${v}`)
    await fresh.disconnect()
  }
})
