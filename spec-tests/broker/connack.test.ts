/**
 * CONNACK as the broker sends it (3.2): first, once, with reserved bits clear, Session Present 0
 * on refusal, only defined reason codes, and the v5 properties that describe what the server
 * supports. Also what the client's CONNECT asks of the server's later packets (3.1.2.11).
 */
import test from 'ava'
import { connectPacket } from '../_harness/broker.js'
import { rawConnect, str } from '../_harness/bytes.js'
import { brokerFor, closedAfter, closedSilently, LEVELS } from '../_harness/checks.js'
import type { Packet } from '../../lib/protocol/packets.js'

/** Byte offset of the first byte after the fixed header of the packet at `at`. */
function bodyStart (bytes: Buffer, at = 0): number {
  let i = at + 1
  while (((bytes[i] as number) & 0x80) !== 0) i++
  return i + 1
}

test('v3.1.1 [MQTT-3.2.0-1] v5 [MQTT-3.2.0-1] CONNACK is the first packet even when the client pipelines SUBSCRIBE behind CONNECT and a retained message matches', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const pub = await b.connected(v)
    pub.send({ type: 'publish', topic: `first/${v}`, payload: Buffer.from('r'), qos: 1, retain: true, dup: false, packetId: 1 })
    await pub.expect('puback')
    const c = await b.client(v)
    c.send(connectPacket(v))
    c.send({ type: 'subscribe', packetId: 9, subscriptions: [{ topicFilter: `first/${v}`, qos: 1 }] })
    c.send({ type: 'pingreq' })
    const types: string[] = []
    for (let i = 0; i < 4; i++) types.push((await c.next()).type)
    t.is(types[0], 'connack', `level ${v}: ${types.join(', ')}`)
    t.deepEqual([...types].sort(), ['connack', 'pingresp', 'publish', 'suback'])
  }
})

test('v5 [MQTT-3.2.2-1] the CONNACK acknowledge flags have bits 7-1 clear (Session Present 0 and 1)', async t => {
  const b = await brokerFor(t)
  const fields = { clientId: 'flags-check', clean: false, properties: { sessionExpiryInterval: 60 } }
  for (const present of [false, true]) {
    const c = await b.client(5)
    const ack = await c.connect(fields)
    t.is(ack.sessionPresent, present)
    const bytes = c.received
    t.is(bytes[0], 0x20)
    t.is(bytes[bodyStart(bytes)], present ? 0x01 : 0x00)
    await c.disconnect()
  }
})

test('v3.1.1 [MQTT-3.2.2-4] v5 [MQTT-3.2.2-6] a refusing CONNACK has Session Present 0, even when the client has a stored session', async t => {
  let refuse = false
  const b = await brokerFor(t, { hooks: { authenticate: () => refuse ? { reasonCode: 0x87 } : true } })
  for (const v of LEVELS) {
    const fields = v === 5 ? { clientId: `stored-${v}`, clean: false, properties: { sessionExpiryInterval: 60 } } : { clientId: `stored-${v}`, clean: false }
    refuse = false
    const c = await b.client(v)
    await c.connect(fields)
    await c.disconnect()
    refuse = true
    const r = await b.client(v)
    const ack = await r.connect(fields)
    t.not(ack.reasonCode, 0)
    t.false(ack.sessionPresent)
    t.is(r.received[bodyStart(r.received)], 0x00, `level ${v}: acknowledge flags byte`)
    refuse = false
    const again = await b.client(v)
    t.true((await again.connect(fields)).sessionPresent, `level ${v}: the refusal did not touch the session`)
  }
})

test('v5 [MQTT-3.2.2-8] [MQTT-3.2.2-7] a refusal is sent with a defined Connect Reason Code of 0x80 or more, whatever the authenticate hook returned', async t => {
  const b = await brokerFor(t, { hooks: { authenticate: r => ({ reasonCode: Number(r.username) }) } })
  for (const code of [0x00, 0x04, 0x18, 0x42, 0x7f, 0x8e, 0xff, 0x87, 0x9f]) {
    const c = await b.client(5)
    c.send(connectPacket(5, { username: String(code) }))
    const sent = await closedAfter(c)
    t.is(sent.length, 1, `hook code 0x${code.toString(16)}`)
    const ack = sent[0] as Packet
    t.is(ack.type, 'connack')
    if (ack.type !== 'connack') continue
    t.true(ack.reasonCode >= 0x80, `hook code 0x${code.toString(16)} sent as 0x${ack.reasonCode.toString(16)}`)
    // Defined codes go through as they are; others become 0x80 Unspecified error.
    t.is(ack.reasonCode, code === 0x87 || code === 0x9f ? code : 0x80)
  }
})

test('v3.1.1 [MQTT-3.2.2-6] [MQTT-3.2.2-5] a refusal with no 3.1.1 return code closes the connection without CONNACK; one with a return code sends it, then closes', async t => {
  const b = await brokerFor(t, { hooks: { authenticate: r => ({ reasonCode: Number(r.username) }) } })
  const cases: Array<[number, number | undefined]> = [[0x00, undefined], [0x80, undefined], [0x95, undefined], [0x9a, undefined], [0x86, 0x04], [0x87, 0x05], [0x88, 0x03], [0x85, 0x02]]
  for (const [code, rc] of cases) {
    const c = await b.client(4)
    c.send(connectPacket(4, { username: String(code), password: Buffer.from('x') }))
    const sent = await closedAfter(c)
    if (rc === undefined) t.deepEqual(sent, [], `refusal 0x${code.toString(16)}`)
    else t.deepEqual(sent, [{ type: 'connack', sessionPresent: false, reasonCode: rc }], `refusal 0x${code.toString(16)}`)
  }
})

test('v5 [MQTT-3.2.2-9] a server without QoS 2 (or 1) says so in CONNACK Maximum QoS; one with both leaves it out', async t => {
  for (const maximumQoS of [0, 1, 2] as const) {
    const b = await brokerFor(t, { maximumQoS })
    const c = await b.client(5)
    const ack = await c.connect()
    t.is(ack.properties?.maximumQoS, maximumQoS === 2 ? undefined : maximumQoS)
    await b.close()
  }
})

test('v5 [MQTT-3.2.2-10] a server with Maximum QoS 1 still accepts a SUBSCRIBE asking QoS 2, granting at most 1, and delivers at the granted QoS', async t => {
  const b = await brokerFor(t, { maximumQoS: 1 })
  const c = await b.connected(5)
  c.send({ type: 'subscribe', packetId: 4, subscriptions: [{ topicFilter: 'mq/a', qos: 2 }, { topicFilter: 'mq/b', qos: 0 }] })
  const ack = await c.expect('suback')
  t.is(ack.packetId, 4)
  t.is(ack.reasonCodes.length, 2)
  t.true((ack.reasonCodes[0] as number) <= 1, `granted 0x${(ack.reasonCodes[0] as number).toString(16)}`)
  t.is(ack.reasonCodes[1], 0)
  const pub = await b.connected(5)
  pub.send({ type: 'publish', topic: 'mq/a', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 1 })
  await pub.expect('puback')
  const p = await c.expect('publish')
  t.is(p.qos, ack.reasonCodes[0] as 0 | 1 | 2)
})

test('v5 [MQTT-3.2.2-12] a Will QoS above the server Maximum QoS: CONNACK 0x9B, then close', async t => {
  const b = await brokerFor(t, { maximumQoS: 1 })
  const c = await b.client(5)
  const ack = await c.connect({ will: { topic: 'w', payload: Buffer.from('x'), qos: 2, retain: false } })
  t.is(ack.reasonCode, 0x9b)
  t.false(ack.sessionPresent)
  await c.closed()
  const ok = await b.client(5)
  t.is((await ok.connect({ will: { topic: 'w', payload: Buffer.from('x'), qos: 1, retain: false } })).reasonCode, 0)
})

test('v5 [MQTT-3.2.2-13] a retained Will when the server has no retained messages: CONNACK 0x9A, then close', async t => {
  const b = await brokerFor(t, { retainAvailable: false })
  const c = await b.client(5)
  const ack = await c.connect({ will: { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: true } })
  t.is(ack.reasonCode, 0x9a)
  await c.closed()
  const ok = await b.client(5)
  const okAck = await ok.connect({ will: { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: false } })
  t.is(okAck.reasonCode, 0)
  t.is(okAck.properties?.retainAvailable, false)
})

test('v5 [MQTT-3.1.3-6] [MQTT-3.1.3-7] [MQTT-3.2.2-16] an empty Client Identifier gets one assigned, returned in CONNACK, used by no other session', async t => {
  const b = await brokerFor(t)
  const assigned: string[] = []
  for (let i = 0; i < 3; i++) {
    const c = await b.client(5)
    const ack = await c.connect({ clientId: '', clean: false, properties: { sessionExpiryInterval: 60 } })
    t.is(ack.reasonCode, 0)
    t.false(ack.sessionPresent)
    const id = ack.properties?.assignedClientIdentifier
    t.is(typeof id, 'string')
    if (typeof id !== 'string') return
    t.true(id.length > 0)
    assigned.push(id)
    // Occupy the identifier the broker would probably hand out next, if it counts upwards.
    const m = /^(.*?)([0-9a-z]+)$/.exec(id)
    if (m !== null) {
      const next = `${m[1] as string}${(parseInt(m[2] as string, 36) + 1).toString(36)}`
      assigned.push(next)
      const squatter = await b.client(5)
      t.is((await squatter.connect({ clientId: next, clean: false, properties: { sessionExpiryInterval: 60 } })).reasonCode, 0)
      await squatter.disconnect()
    }
  }
  t.is(new Set(assigned).size, assigned.length, assigned.join(' '))
  // The session is the assigned identifier's: connecting with it resumes it.
  const back = await b.client(5)
  t.true((await back.connect({ clientId: assigned[0] as string, clean: false, properties: { sessionExpiryInterval: 60 } })).sessionPresent)
})

test('v3.1.1 [MQTT-3.1.3-6] an empty Client Identifier with Clean Session 1 is accepted with an identifier unique to it (two such clients do not take over each other)', async t => {
  const b = await brokerFor(t)
  const one = await b.client(4)
  one.write(rawConnect({ level: 4, flags: 0x02, payload: str('') }))
  t.is((await one.expect('connack')).reasonCode, 0)
  const two = await b.client(4)
  two.write(rawConnect({ level: 4, flags: 0x02, payload: str('') }))
  t.is((await two.expect('connack')).reasonCode, 0)
  for (const c of [one, two]) {
    c.send({ type: 'pingreq' })
    await c.expect('pingresp')
  }
  t.false(one.isClosed)
  // Each has its own session: a subscription of one is not the other's.
  one.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'anon/1', qos: 0 }] })
  await one.expect('suback')
  const pub = await b.connected(4)
  pub.send({ type: 'publish', topic: 'anon/1', payload: Buffer.from('x'), qos: 0, retain: false, dup: false })
  t.is((await one.expect('publish')).topic, 'anon/1')
  t.true(await two.quiet(150))
})

test('v5 [MQTT-3.2.2-19] [MQTT-3.2.2-20] CONNACK drops its Reason String and User Properties rather than exceed the client Maximum Packet Size', async t => {
  const big = 'x'.repeat(300)
  const b = await brokerFor(t, {
    connackUserProperties: [['note', big]],
    hooks: { authenticate: r => r.username === 'no' ? { reasonCode: 0x87, reasonString: big } : true }
  })
  // Accepted: the User Property would make the CONNACK about 330 bytes.
  const c = await b.client(5)
  const ack = await c.connect({ properties: { maximumPacketSize: 128 } })
  t.is(ack.reasonCode, 0)
  t.is(ack.properties?.userProperties, undefined)
  t.true(c.received.length <= 128, `${c.received.length} bytes`)
  // With room for it, it is sent (so the test can tell).
  const roomy = await b.client(5)
  t.deepEqual((await roomy.connect({ properties: { maximumPacketSize: 4096 } })).properties?.userProperties, [['note', big]])
  // Refused: the Reason String would not fit either.
  const r = await b.client(5)
  const refusal = await r.connect({ username: 'no', properties: { maximumPacketSize: 64 } })
  t.is(refusal.reasonCode, 0x87)
  t.is(refusal.properties?.reasonString, undefined)
  t.true(r.received.length <= 64, `${r.received.length} bytes`)
  const r2 = await b.client(5)
  t.is((await r2.connect({ username: 'no', properties: { maximumPacketSize: 4096 } })).properties?.reasonString, big)
})

test('v5 [MQTT-3.1.2-24] a CONNACK that does not fit the client Maximum Packet Size even stripped is not sent: the connection closes without a word and its will is not published', async t => {
  const b = await brokerFor(t)
  const watcher = await b.client(5)
  await watcher.connect()
  watcher.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'wills/#', qos: 0 }] })
  await watcher.expect('suback')
  // An empty Client Identifier: the CONNACK must carry the assigned one, far over 16 bytes.
  const c = await b.client(5)
  c.send(connectPacket(5, { clientId: '', properties: { maximumPacketSize: 16 }, will: { topic: 'wills/x', payload: Buffer.from('gone'), qos: 0, retain: false } }))
  await closedSilently(t, c, 'tiny Maximum Packet Size')
  t.true(c.received.length === 0, `${c.received.length} bytes received`)
  t.true(await watcher.quiet(300), 'no will')
})

test('v5 [MQTT-3.1.2-28] Request Response Information 0: the CONNACK carries no Response Information', async t => {
  const b = await brokerFor(t)
  for (const request of [false, undefined]) {
    const c = await b.client(5)
    const ack = await c.connect(request === undefined ? {} : { properties: { requestResponseInformation: request } })
    t.is(ack.reasonCode, 0)
    t.is(ack.properties?.responseInformation, undefined)
  }
})

test('v3.1.1 [MQTT-3.2.2-1] v5 [MQTT-3.2.2-2] accepted with Clean Session/Start 1: Session Present 0 and return/reason code 0, even when a session existed', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const keep = await b.client(v)
    await keep.connect(v === 5 ? { clientId: `cs1-${v}`, clean: false, properties: { sessionExpiryInterval: 60 } } : { clientId: `cs1-${v}`, clean: false })
    await keep.disconnect()
    const c = await b.client(v)
    const ack = await c.connect({ clientId: `cs1-${v}`, clean: true })
    t.is(ack.reasonCode, 0)
    t.false(ack.sessionPresent)
  }
})

test('v3.1.1 [MQTT-3.1.4-4] [MQTT-3.1.3-1] v5 [MQTT-3.1.4-5] [MQTT-3.1.3-1] a valid CONNECT with every payload field is accepted with code 0, each field read in its place (ClientId, Will, User Name, Password)', async t => {
  const seen: Array<{ clientId: string, username: string | undefined, password: string | undefined }> = []
  const b = await brokerFor(t, { hooks: { authenticate: r => { seen.push({ clientId: r.clientId, username: r.username, password: r.password?.toString() }); return true } } })
  for (const v of LEVELS) {
    const w = await b.connected(v, { username: 'watcher' })
    w.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: `order/will/${v}`, qos: 0 }] })
    await w.expect('suback')
    seen.length = 0
    const c = await b.client(v)
    const ack = await c.connect({
      clientId: `order-id-${v}`,
      username: `order-user-${v}`,
      password: Buffer.from(`order-pass-${v}`),
      will: { topic: `order/will/${v}`, payload: Buffer.from(`order-will-${v}`), qos: 0, retain: false, ...(v === 5 ? { properties: { willDelayInterval: 0 } } : {}) },
      ...(v === 5 ? { properties: { sessionExpiryInterval: 0, userProperties: [['a', 'b']] } } : {})
    })
    t.is(ack.reasonCode, 0)
    t.deepEqual(seen, [{ clientId: `order-id-${v}`, username: `order-user-${v}`, password: `order-pass-${v}` }])
    c.destroy()
    const will = await w.expect('publish')
    t.is(will.topic, `order/will/${v}`)
    t.is(will.payload.toString(), `order-will-${v}`)
  }
})
