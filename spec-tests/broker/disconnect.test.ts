/**
 * DISCONNECT both ways (3.14): what the broker accepts from a client, and what its own
 * DISCONNECT looks like in every situation that makes it end a v5 connection: a defined reason
 * code of 0x80 or more, no Session Expiry Interval, nothing after it, then the close.
 */
import test from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import type { BrokerOptions } from '../../lib/broker/options.js'
import type { DisconnectPacket, Packet } from '../../lib/protocol/packets.js'
import { DISCONNECT_REASON_CODES } from '../../lib/protocol/reason-codes.js'
import { connectPacket, type RawClient, type TestBroker } from '../_harness/broker.js'
import { firstBytes, frame, str, u16 } from '../_harness/bytes.js'
import { brokerFor, closedAfter, closedSilently, disconnectedWith, LEVELS } from '../_harness/checks.js'

interface Scenario {
  readonly name: string
  readonly reason: number
  readonly options?: BrokerOptions
  /** Makes the broker disconnect `c`, a connected v5 client. */
  readonly provoke: (c: RawClient, b: TestBroker, clock: ManualClock) => Promise<void> | void
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'malformed packet', reason: 0x81, provoke: c => { c.write([0x36, 0x00]) } },
  { name: 'reserved flags', reason: 0x81, provoke: c => { c.write([0xc1, 0x00]) } },
  { name: 'second CONNECT', reason: 0x82, provoke: c => { c.send(connectPacket(5)) } },
  { name: 'keep alive', reason: 0x8d, provoke: (_c, _b, clock) => { clock.advance(60_000) } },
  { name: 'session taken over', reason: 0x8e, provoke: async (_c, b) => { await b.connected(5, { clientId: 'scenario-takeover' }) } },
  { name: 'server shutting down', reason: 0x8b, provoke: async (_c, b) => { await b.broker.close() } },
  { name: 'topic alias 0', reason: 0x94, provoke: c => { c.write(frame(0x30, str('t'), [3, 0x23, 0, 0], Buffer.from('x'))) } },
  { name: 'packet too large', reason: 0x95, options: { maxPacketSize: 200 }, provoke: c => { c.send({ type: 'publish', topic: 't', payload: Buffer.alloc(300), qos: 0, retain: false, dup: false }) } },
  { name: 'QoS not supported', reason: 0x9b, options: { maximumQoS: 1 }, provoke: c => { c.send({ type: 'publish', topic: 't', payload: Buffer.alloc(1), qos: 2, retain: false, dup: false, packetId: 1 }) } },
  { name: 'retain not supported', reason: 0x9a, options: { retainAvailable: false }, provoke: c => { c.send({ type: 'publish', topic: 't', payload: Buffer.alloc(1), qos: 0, retain: true, dup: false }) } },
  {
    name: 'receive maximum exceeded',
    reason: 0x93,
    options: { receiveMaximum: 2 },
    // QoS 2 flows stay open until PUBREL: the third one is over the server's Receive Maximum.
    provoke: c => { for (let i = 1; i <= 3; i++) c.send({ type: 'publish', topic: 't', payload: Buffer.alloc(1), qos: 2, retain: false, dup: false, packetId: i }) }
  }
]

async function serverDisconnect (s: Scenario, b: TestBroker, clock: ManualClock): Promise<{ sent: Packet[], bytes: Buffer }> {
  const c = await b.connected(5, s.name === 'session taken over' ? { clientId: 'scenario-takeover', keepAlive: 10 } : { keepAlive: 10 })
  const before = c.received.length
  await s.provoke(c, b, clock)
  const sent = await closedAfter(c)
  return { sent, bytes: c.received.subarray(before) }
}

test('v5 [MQTT-3.14.2-1] [MQTT-3.14.2-2] [MQTT-3.14.4-1] [MQTT-3.14.4-2] [MQTT-4.13.2-1] [MQTT-4.13.1-1] every DISCONNECT the broker sends has a defined reason code >= 0x80, no Session Expiry Interval, is its last packet, and the connection then closes', async t => {
  for (const s of SCENARIOS) {
    const clock = new ManualClock(0)
    const b = await brokerFor(t, { ...s.options, clock, sysInterval: 0 })
    const { sent, bytes } = await serverDisconnect(s, b, clock)
    const last = sent.at(-1)
    t.is(last?.type, 'disconnect', `${s.name}: got ${sent.map(p => p.type).join(', ')}`)
    t.is(sent.filter(p => p.type === 'disconnect').length, 1, s.name)
    if (last?.type !== 'disconnect') continue
    const d: DisconnectPacket = last
    const code = d.reasonCode ?? 0
    t.is(code, s.reason, `${s.name}: reason 0x${code.toString(16)}`)
    t.true(DISCONNECT_REASON_CODES.has(code) && code >= 0x80, s.name)
    t.is(d.properties?.sessionExpiryInterval, undefined, s.name)
    // On the wire too: the DISCONNECT is the last bytes of the stream.
    t.is(firstBytes(bytes).at(-1), 0xe0, `${s.name}: the last packet on the wire`)
    await b.close()
  }
})

test('v5 [MQTT-3.14.0-1] no DISCONNECT before a successful CONNACK: bad input before or in CONNECT, or after a refusal, just closes', async t => {
  const b = await brokerFor(t, { hooks: { authenticate: r => r.username === 'no' ? { reasonCode: 0x87 } : true } })
  const garbage = await b.client(5)
  garbage.write([0x00, 0x00])
  await closedSilently(t, garbage, 'reserved packet type first')
  const badConnect = await b.client(5)
  badConnect.write(frame(0x10, str('MQTT'), [5, 0x03], u16(0), [0], str('x')))
  await closedSilently(t, badConnect, 'CONNECT with the reserved flag')
  const refused = await b.client(5)
  refused.send(connectPacket(5, { username: 'no' }))
  refused.write([0x36, 0x00])
  const sent = await closedAfter(refused)
  t.deepEqual(sent.map(p => p.type), ['connack'], 'after a refused CONNECT: the CONNACK only')
})

test('v3.1.1 [MQTT-3.14.1-1] [MQTT-2.2.2-2] v5 [MQTT-3.14.1-1] [MQTT-2.1.3-1] a DISCONNECT with reserved flags set is malformed: the connection closes (v5: DISCONNECT 0x81) and, not being a DISCONNECT, keeps the will', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const w = await b.connected(v)
    w.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: `flags/will/${v}`, qos: 0 }] })
    await w.expect('suback')
    for (const flags of [0x1, 0x2, 0x8]) {
      const c = await b.connected(v, { will: { topic: `flags/will/${v}`, payload: Buffer.from(String(flags)), qos: 0, retain: false } })
      c.write(v === 5 ? [0xe0 | flags, 0x01, 0x00] : [0xe0 | flags, 0x00])
      await disconnectedWith(t, c, 0x81, `level ${v} flags ${flags}`)
      t.is((await w.expect('publish')).payload.toString(), String(flags), `level ${v}: the will was published`)
    }
  }
})

test('v5 [MQTT-3.14.2-1] a client DISCONNECT with an undefined reason code is malformed: DISCONNECT 0x81, and the will is published', async t => {
  const b = await brokerFor(t)
  const w = await b.connected(5)
  w.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'rc/will', qos: 0 }] })
  await w.expect('suback')
  for (const code of [0x01, 0x05, 0x7f, 0xff]) {
    const c = await b.connected(5, { will: { topic: 'rc/will', payload: Buffer.from('w'), qos: 0, retain: false } })
    c.write([0xe0, 0x01, code])
    await disconnectedWith(t, c, 0x81, `reason 0x${code.toString(16)}`)
    await w.expect('publish')
  }
})

test('v5 [MQTT-3.14.2-3] [MQTT-3.14.2-4] the broker DISCONNECT leaves out its Reason String rather than exceed the client Maximum Packet Size', async t => {
  const b = await brokerFor(t)
  for (const max of [16, 4096]) {
    const c = await b.connected(5, { properties: { maximumPacketSize: max } })
    const before = c.received.length
    c.send(connectPacket(5))
    const sent = await closedAfter(c)
    const d = sent.at(-1)
    t.is(d?.type, 'disconnect')
    if (d?.type !== 'disconnect') continue
    t.is(d.reasonCode, 0x82)
    const size = c.received.length - before
    t.true(size <= max, `${size} bytes for a maximum of ${max}`)
    // With room for it, there is a Reason String (so this test can tell the difference).
    if (max === 4096) t.is(typeof d.properties?.reasonString, 'string')
    else { t.is(d.properties?.reasonString, undefined); t.is(d.properties?.userProperties, undefined) }
  }
})

test('v5 [MQTT-4.13.1-1] a DISCONNECT raising the Session Expiry Interval from 0 is a protocol error: DISCONNECT 0x82, and the will is published', async t => {
  const b = await brokerFor(t)
  const w = await b.connected(5)
  w.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'sei/will', qos: 0 }] })
  await w.expect('suback')
  const c = await b.connected(5, { will: { topic: 'sei/will', payload: Buffer.from('w'), qos: 0, retain: false } })
  c.send({ type: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } })
  await disconnectedWith(t, c, 0x82, 'expiry 0 -> 60')
  await w.expect('publish')
})

test('v5 [MQTT-4.1.0-2] a DISCONNECT may shorten the Session Expiry Interval: set to 0, the session ends with the connection', async t => {
  const b = await brokerFor(t)
  const fields = { clientId: 'shorten-me', clean: false, properties: { sessionExpiryInterval: 600 } }
  const c = await b.connected(5, fields)
  c.send({ type: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } })
  await c.closed()
  const again = await b.client(5)
  t.false((await again.connect(fields)).sessionPresent)
  // The control: without the change, the session is kept.
  const keep = await b.connected(5, { ...fields, clientId: 'keep-me' })
  await keep.disconnect()
  const back = await b.client(5)
  t.true((await back.connect({ ...fields, clientId: 'keep-me' })).sessionPresent)
})

test('v3.1.1 and v5 after a client DISCONNECT the broker closes the connection and processes nothing that follows it', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const w = await b.connected(v)
    w.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: `after/disc/${v}`, qos: 0 }] })
    await w.expect('suback')
    const c = await b.connected(v)
    c.write(Buffer.concat([
      Buffer.from(v === 5 ? [0xe0, 0x00] : [0xe0, 0x00]),
      frame(0x30, str(`after/disc/${v}`), v === 5 ? [0] : [], Buffer.from('late'))
    ]))
    await closedSilently(t, c, `level ${v}`)
    t.true(await w.quiet(150), `level ${v}: the PUBLISH after DISCONNECT was not routed`)
  }
})
