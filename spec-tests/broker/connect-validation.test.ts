/**
 * CONNECT as the broker validates it: first packet, second CONNECT, protocol name and level,
 * reserved flag, flags that contradict the payload, strings that are not UTF-8. A CONNECT that
 * breaks section 3.1 is never answered with a successful CONNACK and its connection closes.
 */
import test from 'ava'
import { connectPacket } from '../_harness/broker.js'
import { NO_PROPS, frame, rawConnect, str, u16 } from '../_harness/bytes.js'
import { brokerFor, closedSilently, closedUnaccepted, disconnectedWith, LEVELS } from '../_harness/checks.js'

const CLEAN = 0x02
const WILL = 0x04
const WILL_QOS1 = 0x08
const WILL_QOS2 = 0x10
const WILL_RETAIN = 0x20
const PASSWORD = 0x40
const USER = 0x80

type Field = readonly ['id' | 'willTopic' | 'willMessage' | 'user' | 'password', Buffer]

/** The CONNECT payload; at level 5 the Will Properties go before the Will Topic. */
function payload (version: 4 | 5, fields: readonly Field[]): Buffer {
  const parts: Buffer[] = []
  for (const [name, bytes] of fields) {
    if (name === 'willTopic' && version === 5) parts.push(NO_PROPS)
    parts.push(bytes)
  }
  return Buffer.concat(parts)
}

const id = (): Field => ['id', str(`cv-${process.pid}-${Math.random().toString(36).slice(2, 10)}`)]
const willTopic: Field = ['willTopic', str('will/topic')]
const willMessage: Field = ['willMessage', str('bye')]
const user: Field = ['user', str('alice')]
const password: Field = ['password', str('secret')]
const NOT_UTF8 = [0x61, 0xc3, 0x28]
const SURROGATE = [0x61, 0xed, 0xa0, 0x80]
const NUL = [0x61, 0x00, 0x62]

test('control: a well-formed hand-built CONNECT is accepted at levels 4 and 5', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const c = await b.client(v)
    c.write(rawConnect({ level: v, flags: CLEAN | WILL | WILL_QOS1 | USER | PASSWORD, payload: payload(v, [id(), willTopic, willMessage, user, password]) }))
    const ack = await c.expect('connack')
    t.is(ack.reasonCode, 0)
  }
})

test('v5 a password without a user name is allowed at level 5 (unlike 3.1.1)', async t => {
  const b = await brokerFor(t)
  const c = await b.client(5)
  c.write(rawConnect({ level: 5, flags: CLEAN | PASSWORD, payload: payload(5, [id(), password]) }))
  t.is((await c.expect('connack')).reasonCode, 0)
})

interface BadConnect {
  readonly title: string
  readonly flags: number
  readonly fields: () => readonly Field[]
  readonly only?: 4 | 5
}

const BAD_CONNECTS: readonly BadConnect[] = [
  { title: 'v3.1.1 [MQTT-3.1.2-13] [MQTT-3.1.4-1] v5 [MQTT-3.1.2-11] [MQTT-3.1.4-1] Will QoS 1 with Will Flag 0: closed without a successful CONNACK', flags: CLEAN | WILL_QOS1, fields: () => [id()] },
  { title: 'v3.1.1 [MQTT-3.1.2-15] [MQTT-3.1.4-1] v5 [MQTT-3.1.2-13] [MQTT-3.1.4-1] Will Retain with Will Flag 0: closed without a successful CONNACK', flags: CLEAN | WILL_RETAIN, fields: () => [id()] },
  { title: 'v3.1.1 [MQTT-3.1.2-14] [MQTT-3.1.4-1] v5 [MQTT-3.1.2-12] [MQTT-3.1.4-1] Will QoS 3: closed without a successful CONNACK', flags: CLEAN | WILL | WILL_QOS1 | WILL_QOS2, fields: () => [id(), willTopic, willMessage] },
  { title: 'v3.1.1 [MQTT-3.1.2-9] [MQTT-3.1.4-1] v5 [MQTT-3.1.2-9] [MQTT-3.1.4-1] Will Flag 1 without Will Topic and Will Message: closed without a successful CONNACK', flags: CLEAN | WILL, fields: () => [id()] },
  { title: 'v3.1.1 [MQTT-3.1.2-11] [MQTT-3.1.4-1] v5 [MQTT-3.1.4-1] Will Flag 0 with a Will Topic and Will Message in the payload: closed without a successful CONNACK', flags: CLEAN, fields: () => [id(), willTopic, willMessage] },
  { title: 'v3.1.1 [MQTT-3.1.2-19] [MQTT-3.1.4-1] v5 [MQTT-3.1.2-17] [MQTT-3.1.4-1] User Name Flag 1 without a User Name: closed without a successful CONNACK', flags: CLEAN | USER, fields: () => [id()] },
  { title: 'v3.1.1 [MQTT-3.1.2-18] [MQTT-3.1.4-1] v5 [MQTT-3.1.2-16] [MQTT-3.1.4-1] User Name Flag 0 with a User Name in the payload: closed without a successful CONNACK', flags: CLEAN, fields: () => [id(), user] },
  { title: 'v3.1.1 [MQTT-3.1.2-21] [MQTT-3.1.4-1] v5 [MQTT-3.1.2-19] [MQTT-3.1.4-1] Password Flag 1 without a Password: closed without a successful CONNACK', flags: CLEAN | USER | PASSWORD, fields: () => [id(), user] },
  { title: 'v3.1.1 [MQTT-3.1.2-20] [MQTT-3.1.4-1] v5 [MQTT-3.1.2-18] [MQTT-3.1.4-1] Password Flag 0 with a Password in the payload: closed without a successful CONNACK', flags: CLEAN | USER, fields: () => [id(), user, password] },
  { title: 'v3.1.1 [MQTT-3.1.2-22] [MQTT-3.1.4-1] Password Flag 1 with User Name Flag 0: closed without CONNACK', flags: CLEAN | PASSWORD, fields: () => [id(), password], only: 4 },
  { title: 'v3.1.1 [MQTT-3.1.3-3] [MQTT-3.1.4-1] v5 [MQTT-3.1.3-3] [MQTT-3.1.4-1] a CONNECT without a Client Identifier: closed without a successful CONNACK', flags: CLEAN, fields: () => [] },
  { title: 'v3.1.1 [MQTT-3.1.3-4] [MQTT-1.5.3-1] v5 [MQTT-3.1.3-4] [MQTT-1.5.4-1] a Client Identifier that is not UTF-8: closed without a successful CONNACK', flags: CLEAN, fields: () => [['id', str(NOT_UTF8)]] },
  { title: 'v3.1.1 [MQTT-1.5.3-1] v5 [MQTT-1.5.4-1] a Client Identifier holding an encoded surrogate (U+D800): closed without a successful CONNACK', flags: CLEAN, fields: () => [['id', str(SURROGATE)]] },
  { title: 'v3.1.1 [MQTT-1.5.3-2] v5 [MQTT-1.5.4-2] a Client Identifier holding U+0000: closed without a successful CONNACK', flags: CLEAN, fields: () => [['id', str(NUL)]] },
  { title: 'v3.1.1 [MQTT-3.1.3-11] [MQTT-1.5.3-1] v5 [MQTT-3.1.3-12] [MQTT-1.5.4-1] a User Name that is not UTF-8: closed without a successful CONNACK', flags: CLEAN | USER, fields: () => [id(), ['user', str(NOT_UTF8)]] },
  { title: 'v3.1.1 [MQTT-3.1.3-10] [MQTT-1.5.3-1] v5 [MQTT-3.1.3-11] [MQTT-1.5.4-1] a Will Topic that is not UTF-8: closed without a successful CONNACK', flags: CLEAN | WILL, fields: () => [id(), ['willTopic', str(NOT_UTF8)], willMessage] },
  { title: 'v3.1.1 [MQTT-3.1.2-3] [MQTT-3.1.4-1] v5 [MQTT-3.1.2-3] [MQTT-3.1.4-1] the reserved connect flag set: closed without a successful CONNACK', flags: CLEAN | 0x01, fields: () => [id()] }
]

for (const bad of BAD_CONNECTS) {
  test(bad.title, async t => {
    const b = await brokerFor(t)
    for (const v of LEVELS) {
      if (bad.only !== undefined && bad.only !== v) continue
      const c = await b.client(v)
      c.write(rawConnect({ level: v, flags: bad.flags, payload: payload(v, bad.fields()) }))
      await closedUnaccepted(t, c, `level ${v}`)
    }
    // The broker is still there for a well-behaved client.
    const ok = await b.connected(5)
    await ok.disconnect()
  })
}

test('v3.1.1 [MQTT-3.1.4-1] v5 [MQTT-3.1.4-1] a CONNECT whose Remaining Length ends inside a field, or leaves bytes over: closed without a successful CONNACK', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const good = rawConnect({ level: v, flags: CLEAN, payload: str('truncated-id') })
    // Same fields, Remaining Length 3 bytes short: the Client Identifier is cut.
    const cut = frame(0x10, good.subarray(2, good.length - 3))
    const c1 = await b.client(v)
    c1.write(cut)
    await closedUnaccepted(t, c1, `level ${v} truncated`)
    const over = frame(0x10, good.subarray(2), [0x00, 0x01])
    const c2 = await b.client(v)
    c2.write(over)
    await closedUnaccepted(t, c2, `level ${v} trailing bytes`)
  }
})

test('v5 [MQTT-1.5.7-1] [MQTT-3.1.4-1] a CONNECT User Property whose value is not UTF-8: closed without a successful CONNACK', async t => {
  const b = await brokerFor(t)
  const c = await b.client(5)
  const prop = Buffer.concat([Buffer.from([0x26]), str('name'), str(NOT_UTF8)])
  c.write(rawConnect({ level: 5, flags: CLEAN, properties: Buffer.concat([Buffer.from([prop.length]), prop]) }))
  await closedUnaccepted(t, c, 'bad user property value')
  const c2 = await b.client(5)
  const prop2 = Buffer.concat([Buffer.from([0x26]), str(SURROGATE), str('value')])
  c2.write(rawConnect({ level: 5, flags: CLEAN, properties: Buffer.concat([Buffer.from([prop2.length]), prop2]) }))
  await closedUnaccepted(t, c2, 'bad user property name')
})

test('v5 [MQTT-3.1.4-1] a CONNECT property that CONNECT may not carry (Topic Alias), or one given twice: closed without a successful CONNACK', async t => {
  const b = await brokerFor(t)
  const c = await b.client(5)
  c.write(rawConnect({ level: 5, flags: CLEAN, properties: Buffer.from([3, 0x23, 0x00, 0x01]) }))
  await closedUnaccepted(t, c, 'Topic Alias in CONNECT')
  const c2 = await b.client(5)
  // Session Expiry Interval twice.
  c2.write(rawConnect({ level: 5, flags: CLEAN, properties: Buffer.from([10, 0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2]) }))
  await closedUnaccepted(t, c2, 'Session Expiry Interval twice')
})

test('v3.1.1 [MQTT-3.1.0-1] [MQTT-4.8.0-1] v5 [MQTT-3.1.0-1] [MQTT-4.13.1-1] a first packet other than CONNECT closes the connection, nothing sent', async t => {
  const b = await brokerFor(t)
  const firsts: Array<[string, Buffer]> = [
    ['PINGREQ', Buffer.from([0xc0, 0x00])],
    ['PUBLISH', frame(0x30, str('a/b'), Buffer.from('x'))],
    ['SUBSCRIBE', frame(0x82, u16(1), str('a/#'), [0])],
    ['DISCONNECT', Buffer.from([0xe0, 0x00])],
    ['CONNACK', Buffer.from([0x20, 0x02, 0x00, 0x00])]
  ]
  for (const v of LEVELS) {
    for (const [name, bytes] of firsts) {
      const c = await b.client(v)
      c.write(bytes)
      await closedSilently(t, c, `level ${v} ${name} first`)
    }
  }
})

test('v3.1.1 [MQTT-3.1.0-2] [MQTT-4.8.0-1] v5 [MQTT-3.1.0-2] [MQTT-3.2.0-2] [MQTT-4.13.1-1] a second CONNECT closes the connection: no second CONNACK (v5: DISCONNECT 0x82 first)', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const c = await b.connected(v)
    c.send(connectPacket(v))
    await disconnectedWith(t, c, 0x82, `level ${v}`)
  }
})

test('v3.1.1 [MQTT-3.1.2-1] v5 [MQTT-3.1.2-1] a protocol name other than the one of the level: never a successful CONNACK, the connection closes', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    for (const name of ['MQTX', 'mqtt', 'MQTTT', 'MQ', '']) {
      const c = await b.client(v)
      c.write(rawConnect({ level: v, name, flags: CLEAN }))
      await closedUnaccepted(t, c, `level ${v} name ${JSON.stringify(name)}`)
    }
  }
})

test('v3.1.1 [MQTT-3.1.2-2] an unsupported protocol level is answered with CONNACK 0x01, then the connection closes', async t => {
  const b = await brokerFor(t)
  const cases: Array<[string, number]> = [[0, 1, 2, 6, 7, 0x85, 255].map(l => ['MQTT', l] as [string, number]), [['MQIsdp', 4] as [string, number]]].flat()
  for (const [name, level] of cases) {
    const c = await b.client(4)
    c.write(rawConnect({ level, name, flags: CLEAN }))
    const ack = await c.expect('connack')
    t.is(ack.reasonCode, 0x01, `level ${level}`)
    t.false(ack.sessionPresent)
    await c.closed()
    t.deepEqual(c.queued, [], `level ${level}: nothing after the CONNACK`)
  }
})

test('v5 [MQTT-3.1.2-2] a protocol version other than 5 the server refuses: at most a refusing CONNACK, then the connection closes', async t => {
  const b = await brokerFor(t)
  // The client spoke a level the server does not know, so any CONNACK comes in the oldest form.
  for (const level of [6, 7, 0x86]) {
    const c = await b.client(4)
    c.write(rawConnect({ level, name: 'MQTT', flags: CLEAN, properties: NO_PROPS }))
    await closedUnaccepted(t, c, `level ${level}`)
  }
})

test('v3.1.1 [MQTT-3.1.3-5] v5 [MQTT-3.1.3-5] Client Identifiers of 1 to 23 ASCII letters and digits are accepted', async t => {
  const b = await brokerFor(t)
  const ids = ['a', 'Z', '0', 'abcXYZ012', '0123456789abcdefghijklm', 'ABCDEFGHIJKLMNOPQRSTUVW']
  for (const v of LEVELS) {
    for (const clientId of ids) {
      const c = await b.client(v)
      const ack = await c.connect({ clientId })
      t.is(ack.reasonCode, 0, `level ${v} id ${clientId}`)
      await c.disconnect()
    }
  }
})

test('v3.1.1 [MQTT-3.1.3-8] [MQTT-3.2.2-4] [MQTT-3.2.2-5] an empty Client Identifier with Clean Session 0: CONNACK 0x02 with Session Present 0, then close', async t => {
  const b = await brokerFor(t)
  const c = await b.client(4)
  c.write(rawConnect({ level: 4, flags: 0x00, payload: str('') }))
  const ack = await c.expect('connack')
  t.is(ack.reasonCode, 0x02)
  t.false(ack.sessionPresent)
  await c.closed()
  t.deepEqual(c.queued, [])
})

test('v3.1.1 [MQTT-3.1.3-9] [MQTT-3.2.2-5] v5 [MQTT-3.1.3-8] [MQTT-3.2.2-7] a Client Identifier the server rejects: CONNACK 0x02 (3.1.1) or 0x85 (5), then close', async t => {
  const b = await brokerFor(t, {
    hooks: { authenticate: r => r.clientId.startsWith('bad') ? { reasonCode: 0x85, reasonString: 'no such client' } : true }
  })
  for (const v of LEVELS) {
    const c = await b.client(v)
    const ack = await c.connect({ clientId: `bad-${v}` })
    t.is(ack.reasonCode, v === 5 ? 0x85 : 0x02)
    t.false(ack.sessionPresent)
    await c.closed()
    t.deepEqual(c.queued, [])
    const ok = await b.client(v)
    t.is((await ok.connect({ clientId: `good-${v}` })).reasonCode, 0)
  }
})

test('v5 [MQTT-3.1.4-2] [MQTT-3.2.2-7] [MQTT-4.13.2-1] failed authentication: CONNACK 0x86 or 0x87, then the connection closes', async t => {
  const b = await brokerFor(t, {
    hooks: {
      authenticate: r => r.username === 'alice' && r.password?.toString() === 'pw'
        ? true
        : r.username === 'mallory' ? { reasonCode: 0x87 } : { reasonCode: 0x86 }
    }
  })
  const cases: Array<[string | undefined, string | undefined, number]> = [['alice', 'wrong', 0x86], [undefined, undefined, 0x86], ['mallory', 'pw', 0x87]]
  for (const [username, pw, code] of cases) {
    const c = await b.client(5)
    const ack = await c.connect({ ...(username === undefined ? {} : { username }), ...(pw === undefined ? {} : { password: Buffer.from(pw) }) })
    t.is(ack.reasonCode, code)
    await c.closed()
    t.deepEqual(c.queued, [])
  }
  const ok = await b.client(5)
  t.is((await ok.connect({ username: 'alice', password: Buffer.from('pw') })).reasonCode, 0)
})

test('v3.1.1 [MQTT-3.2.2-5] failed authentication: CONNACK 0x04 or 0x05, then the connection closes', async t => {
  const b = await brokerFor(t, {
    hooks: { authenticate: r => r.username === 'mallory' ? { reasonCode: 0x87 } : r.password?.toString() === 'pw' ? true : { reasonCode: 0x86 } }
  })
  for (const [username, code] of [['alice', 0x04], ['mallory', 0x05]] as const) {
    const c = await b.client(4)
    const ack = await c.connect({ username, password: Buffer.from('nope') })
    t.is(ack.reasonCode, code)
    await c.closed()
    t.deepEqual(c.queued, [])
  }
})

test('v3.1.1 [MQTT-3.1.4-5] v5 [MQTT-3.1.4-6] after refusing a CONNECT the broker processes nothing more the client sent', async t => {
  const b = await brokerFor(t, { hooks: { authenticate: r => r.username === 'ok' ? true : { reasonCode: 0x86 } } })
  for (const v of LEVELS) {
    const watcher = await b.connected(v, { username: 'ok' })
    watcher.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'after/refusal/#', qos: 1 }] })
    await watcher.expect('suback')
    const c = await b.client(v)
    // CONNECT, PUBLISH (retained, QoS 1) and SUBSCRIBE in one write: only the CONNECT may be read.
    c.write(Buffer.concat([
      Buffer.from(encodeConnect(v, 'intruder')),
      frame(0x33, str(`after/refusal/${v}`), u16(7), v === 5 ? NO_PROPS : Buffer.alloc(0), Buffer.from('sneaky')),
      frame(0x82, u16(2), v === 5 ? NO_PROPS : Buffer.alloc(0), str('#'), [1])
    ]))
    const ack = await c.expect('connack')
    t.not(ack.reasonCode, 0)
    await c.closed()
    t.deepEqual(c.queued, [], 'no PUBACK or SUBACK after the refusal')
    t.true(await watcher.quiet(200), 'the PUBLISH was not routed')
    // Nor retained: a new subscriber gets nothing.
    const late = await b.connected(v, { username: 'ok' })
    late.send({ type: 'subscribe', packetId: 3, subscriptions: [{ topicFilter: 'after/refusal/#', qos: 1 }] })
    await late.expect('suback')
    t.true(await late.quiet(200), 'the PUBLISH was not retained')
  }
})

function encodeConnect (v: 4 | 5, username: string): Buffer {
  return rawConnect({ level: v, flags: CLEAN | USER, payload: Buffer.concat([str(`refused-${v}`), str(username)]) })
}
