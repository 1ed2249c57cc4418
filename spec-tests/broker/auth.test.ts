/**
 * v5 enhanced authentication (4.12) and the AUTH packet (3.15), driven by the broker's
 * `enhancedAuthenticate` hook: a two-step exchange, refusals at any step, what may be sent
 * during the exchange, and re-authentication of a connected client.
 */
import test from 'ava'
import type { EnhancedAuthResult, EnhancedAuthStep } from '../../lib/broker/options.js'
import { connectPacket, type RawClient } from '../_harness/broker.js'
import { frame, str } from '../_harness/bytes.js'
import { brokerFor, closedAfter, closedUnaccepted, disconnectedWith } from '../_harness/checks.js'

const METHOD = 'TEST-CHALLENGE'

/**
 * A toy two-step method: the client sends 'hello', gets the challenge 'nonce', answers 'nonce!'
 * and gets 'welcome'. Re-authentication runs the same exchange. Anything else is refused 0x87.
 */
function twoStep (step: EnhancedAuthStep): EnhancedAuthResult {
  if (step.method !== METHOD) return { reasonCode: 0x8c }
  const data = step.data?.toString()
  if (data === 'hello') return { done: false, data: Buffer.from('nonce') }
  if (data === 'nonce!') return { done: true, data: Buffer.from('welcome') }
  return { reasonCode: 0x87, reasonString: 'wrong answer' }
}

function auth (reasonCode: number, data?: string, method = METHOD): Parameters<RawClient['send']>[0] {
  return { type: 'auth', reasonCode, properties: data === undefined ? { authenticationMethod: method } : { authenticationMethod: method, authenticationData: Buffer.from(data) } }
}

async function startExchange (c: RawClient): Promise<void> {
  c.send(connectPacket(5, { properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('hello') } }))
  await c.expect('auth')
}

test('v5 [MQTT-4.12.0-2] [MQTT-4.12.0-5] [MQTT-3.2.0-1] a two-step exchange: AUTH 0x18 with the method from the server, then CONNACK 0x00 carrying the method', async t => {
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: twoStep } })
  const c = await b.client(5)
  c.send(connectPacket(5, { properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('hello') } }))
  const challenge = await c.expect('auth')
  t.is(challenge.reasonCode, 0x18)
  t.is(challenge.properties?.authenticationMethod, METHOD)
  t.is(challenge.properties?.authenticationData?.toString(), 'nonce')
  c.send(auth(0x18, 'nonce!'))
  const ack = await c.expect('connack')
  t.is(ack.reasonCode, 0)
  t.is(ack.properties?.authenticationMethod, METHOD)
  t.is(ack.properties?.authenticationData?.toString(), 'welcome')
  c.send({ type: 'pingreq' })
  await c.expect('pingresp')
})

test('v5 [MQTT-4.12.0-1] an Authentication Method the server does not support: CONNACK 0x8C (or 0x87), then close', async t => {
  for (const hooks of [{}, { enhancedAuthenticate: twoStep }]) {
    const b = await brokerFor(t, { hooks })
    const c = await b.client(5)
    const ack = await c.connect({ properties: { authenticationMethod: 'NOT-KNOWN', authenticationData: Buffer.from('hello') } })
    t.true(ack.reasonCode === 0x8c || ack.reasonCode === 0x87, `0x${ack.reasonCode.toString(16)}`)
    t.false(ack.sessionPresent)
    await c.closed()
    t.deepEqual(c.queued, [])
  }
})

test('v5 [MQTT-4.12.0-4] [MQTT-4.13.2-1] the server refusing at a later step: CONNACK with its reason code (>= 0x80), then close', async t => {
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: twoStep } })
  const c = await b.client(5)
  await startExchange(c)
  c.send(auth(0x18, 'guess'))
  const ack = await c.expect('connack')
  t.is(ack.reasonCode, 0x87)
  t.is(ack.properties?.reasonString, 'wrong answer')
  await c.closed()
  t.deepEqual(c.queued, [])
})

test('v5 [MQTT-4.12.0-4] [MQTT-3.2.2-8] a hook refusal with a code that is not a Connect Reason Code >= 0x80 goes out as 0x80, and the connection closes', async t => {
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: () => ({ reasonCode: 0x00 }) } })
  const c = await b.client(5)
  c.send(connectPacket(5, { properties: { authenticationMethod: METHOD } }))
  const sent = await closedAfter(c)
  t.deepEqual(sent.map(p => p.type === 'connack' ? p.reasonCode : p.type), [0x80])
})

test('v5 [MQTT-4.12.0-6] [MQTT-4.12.0-7] without an Authentication Method: no AUTH from the server, none in CONNACK, and an AUTH from the client is a protocol error', async t => {
  let calls = 0
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: s => { calls++; return twoStep(s) } } })
  const c = await b.client(5)
  const ack = await c.connect()
  t.is(ack.reasonCode, 0)
  t.is(ack.properties?.authenticationMethod, undefined)
  t.is(ack.properties?.authenticationData, undefined)
  t.true(await c.quiet(100))
  c.send(auth(0x19, 'hello'))
  await disconnectedWith(t, c, 0x82, 'AUTH without an Authentication Method in CONNECT')
  t.is(calls, 0)
})

test('v5 [MQTT-3.1.2-30] [MQTT-4.13.1-1] during the exchange, a packet other than AUTH or DISCONNECT closes the connection without a successful CONNACK', async t => {
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: twoStep } })
  const packets: Array<Parameters<RawClient['send']>[0]> = [
    { type: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 0, retain: false, dup: false },
    { type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'a', qos: 0 }] },
    { type: 'pingreq' }
  ]
  for (const p of packets) {
    const c = await b.client(5)
    await startExchange(c)
    c.send(p)
    await closedUnaccepted(t, c, p.type)
  }
  // DISCONNECT is allowed: it ends the exchange quietly.
  const d = await b.client(5)
  await startExchange(d)
  d.send({ type: 'disconnect', reasonCode: 0 })
  const sent = await closedAfter(d)
  t.deepEqual(sent, [])
})

test('v5 [MQTT-4.12.0-3] [MQTT-4.12.0-5] during the exchange a client AUTH must continue (0x18) with the same method: anything else closes without a successful CONNACK', async t => {
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: twoStep } })
  for (const bad of [auth(0x19, 'nonce!'), auth(0x00, 'nonce!'), auth(0x18, 'nonce!', 'OTHER-METHOD')]) {
    const c = await b.client(5)
    await startExchange(c)
    c.send(bad)
    await closedUnaccepted(t, c, JSON.stringify(bad.type === 'auth' ? [bad.reasonCode, bad.properties?.authenticationMethod] : bad))
  }
})

test('v5 [MQTT-4.12.1-1] [MQTT-4.12.0-5] re-authentication: AUTH 0x19 with the method of the CONNECT, answered AUTH 0x18 then AUTH 0x00, the connection and session carry on', async t => {
  const steps: boolean[] = []
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: s => { steps.push(s.reauthenticate); return twoStep(s) } } })
  const c = await b.client(5)
  await startExchange(c)
  c.send(auth(0x18, 'nonce!'))
  t.is((await c.expect('connack')).reasonCode, 0)
  c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'reauth/x', qos: 0 }] })
  await c.expect('suback')
  c.send(auth(0x19, 'hello'))
  const challenge = await c.expect('auth')
  t.is(challenge.reasonCode, 0x18)
  t.is(challenge.properties?.authenticationMethod, METHOD)
  c.send(auth(0x18, 'nonce!'))
  const done = await c.expect('auth')
  t.is(done.reasonCode, 0x00)
  t.is(done.properties?.authenticationMethod, METHOD)
  t.deepEqual(steps, [false, false, true, true])
  const pub = await b.connected(5)
  pub.send({ type: 'publish', topic: 'reauth/x', payload: Buffer.from('y'), qos: 0, retain: false, dup: false })
  t.is((await c.expect('publish')).topic, 'reauth/x')
})

test('v5 [MQTT-4.12.1-1] re-authentication with another method is a protocol error: DISCONNECT 0x82', async t => {
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: s => s.method === 'OTHER' ? { done: true } : twoStep(s) } })
  const c = await b.client(5)
  await startExchange(c)
  c.send(auth(0x18, 'nonce!'))
  await c.expect('connack')
  c.send(auth(0x19, 'hello', 'OTHER'))
  await disconnectedWith(t, c, 0x82, 'another method')
})

test('v5 [MQTT-4.12.1-2] [MQTT-3.14.2-1] a failed re-authentication closes the connection after a DISCONNECT with a defined reason >= 0x80', async t => {
  let code = 0x87
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: s => s.reauthenticate ? { reasonCode: code } : { done: true } } })
  // 0x87 and 0x98 are DISCONNECT codes; 0x8C (a CONNACK code only), 0x00 and 0x42 are not.
  for (const [given, sent] of [[0x87, 0x87], [0x98, 0x98], [0x8c, 0x80], [0x00, 0x80], [0x42, 0x80]] as const) {
    code = given
    const c = await b.connected(5, { properties: { authenticationMethod: METHOD } })
    c.send(auth(0x19, 'again'))
    await disconnectedWith(t, c, sent, `hook reason 0x${given.toString(16)}`)
  }
})

test('v5 [MQTT-3.15.1-1] [MQTT-4.13.1-1] AUTH with fixed-header flags set is malformed: closed (DISCONNECT 0x81 once connected)', async t => {
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: twoStep } })
  const bad = frame(0xf1, [0x18], [0x0f, 0x15], str(METHOD))
  const during = await b.client(5)
  await startExchange(during)
  during.write(bad)
  await closedUnaccepted(t, during, 'during the exchange')
  const after = await b.client(5)
  await startExchange(after)
  after.send(auth(0x18, 'nonce!'))
  await after.expect('connack')
  after.write(frame(0xf2, [0x19], [0x0f, 0x15], str(METHOD)))
  await disconnectedWith(t, after, 0x81, 'once connected')
})

test('v5 [MQTT-3.15.2-1] an AUTH with a reason code that is not an Authenticate Reason Code is malformed: DISCONNECT 0x81', async t => {
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: twoStep } })
  for (const code of [0x01, 0x17, 0x87]) {
    const c = await b.client(5)
    await startExchange(c)
    c.send(auth(0x18, 'nonce!'))
    await c.expect('connack')
    c.write(frame(0xf0, [code], [0x0f, 0x15], str(METHOD)))
    await disconnectedWith(t, c, 0x81, `AUTH reason 0x${code.toString(16)}`)
  }
})

test('v5 [MQTT-3.15.2-2] [MQTT-3.15.2-3] AUTH packets from the server stay within the client Maximum Packet Size, without Reason String or User Properties', async t => {
  const b = await brokerFor(t, { hooks: { enhancedAuthenticate: twoStep } })
  const c = await b.client(5)
  // Just room for the challenge AUTH (2 + 1 + 1 + 17 + 8 bytes): nothing optional fits besides.
  const max = 40
  c.send(connectPacket(5, { properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('hello'), maximumPacketSize: max } }))
  const challenge = await c.expect('auth')
  t.true(c.received.length <= max, `${c.received.length} bytes`)
  t.is(challenge.properties?.reasonString, undefined)
  t.is(challenge.properties?.userProperties, undefined)
})
