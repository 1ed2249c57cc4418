/**
 * The interop cases with the qosmos client as the peer and a third-party broker in the middle.
 * The other side is a raw-packet client (spec-tests harness) of the same broker, so what the
 * qosmos client sent is checked as it came out of the broker, on the wire, and what it received
 * was sent packet by packet.
 */
import type { ExecutionContext } from 'ava'
import type { Message, Subscription } from '../../lib/client/index.js'
import type { QoS } from '../../lib/protocol/packets.js'
import { delay } from '../../spec-tests/_harness/broker.js'
import type { Feature, Version } from './matrix.js'
import type { Scope } from './peer.js'
import { publisher, subscriber, type RawSide } from './qosmos.js'
import { inbox, qosmosClient, take, type Inbox } from './client-side.js'

export interface ClientCtx {
  readonly t: ExecutionContext
  readonly s: Scope
  readonly port: number
  readonly v: Version
  readonly id: string
  /** Raw-packet clients of the same broker. */
  readonly raw: RawSide
}
export type ClientCase = (c: ClientCtx) => Promise<void>

const USER_PROPS: ReadonlyArray<readonly [string, string]> = [['k1', 'v1'], ['k1', 'v2'], ['k2', 'v 3']]
const text = (m: Message | undefined): string | undefined => m?.payload.toString()

const clientPublishes = (q: QoS): ClientCase => async ({ t, s, port, v, raw }) => {
  const obs = await subscriber(raw, v, ['t/#'], 2)
  const client = await qosmosClient(s, port, v)
  await client.publish(`t/q${q}`, `hello-q${q}`, { qos: q }) // resolves on PUBACK (1) / PUBCOMP (2)
  t.is(client.stats.inflightOutbound, 0, 'publish resolved once the QoS flow was complete')
  const [m] = await obs.take(1)
  t.is(m?.topic, `t/q${q}`)
  t.is(m?.payload.toString(), `hello-q${q}`)
  t.is(m?.qos, q, 'delivered at the QoS it was published with (subscription allows 2)')
  t.false(m?.retain)
  t.true(await obs.quiet(300), 'delivered once')
}

const clientReceives = (q: QoS): ClientCase => async ({ t, s, port, v, raw }) => {
  const client = await qosmosClient(s, port, v)
  const box = inbox(client)
  const sub = await client.subscribe('t/#', { qos: 2 })
  t.deepEqual(sub.granted, [2])
  const pub = await publisher(raw, v)
  await pub.publish({ topic: `t/q${q}`, payload: `to-client-q${q}`, qos: q })
  const [m] = await take(sub, 1)
  t.is(m?.topic, `t/q${q}`)
  t.is(text(m), `to-client-q${q}`)
  t.is(m?.qos, q)
  t.false(m?.retain)
  await delay(300)
  t.is(box.messages.length, 1, 'delivered once')
  t.is(sub.buffered, 0, 'and once to the subscription iterator')
  t.is(client.stats.inflightInbound, 0, 'a QoS 2 flow ended with PUBCOMP')
}

export const clientCases: Record<Feature, ClientCase> = {
  'pub-q0': clientPublishes(0),
  'pub-q1': clientPublishes(1),
  'pub-q2': clientPublishes(2),
  'sub-q0': clientReceives(0),
  'sub-q1': clientReceives(1),
  'sub-q2': clientReceives(2),

  async 'retain-set' ({ t, s, port, v, raw }) {
    const client = await qosmosClient(s, port, v)
    await client.publish('r/kept', 'kept', { qos: 1, retain: true })
    const later = await subscriber(raw, v, ['r/#'], 1)
    const [m] = await later.take(1)
    t.is(m?.topic, 'r/kept')
    t.is(m?.payload.toString(), 'kept')
    t.true(m?.retain, 'a retained message sent on SUBSCRIBE has RETAIN set')
    await client.publish('r/kept', '', { qos: 1, retain: true })
    const [cleared] = await later.take(1) // the live subscriber still gets the empty message
    t.is(cleared?.payload.length, 0)
    const after = await subscriber(raw, v, ['r/#'], 1)
    t.true(await after.quiet(300), 'the empty retained message removed the stored one')
  },

  async 'retain-get' ({ t, s, port, v, raw }) {
    const pub = await publisher(raw, v)
    await pub.publish({ topic: 'r/stored', payload: 'stored', qos: 1, retain: true })
    const client = await qosmosClient(s, port, v)
    const sub = await client.subscribe('r/#', { qos: 1 })
    const [m] = await take(sub, 1)
    t.is(m?.topic, 'r/stored')
    t.is(text(m), 'stored')
    t.is(m?.qos, 1)
    t.true(m?.retain)
  },

  async 'will-abnormal' ({ t, s, port, v, id, raw }) {
    const obs = await subscriber(raw, v, ['will/#'], 1)
    const client = await qosmosClient(s, port, v, { clientId: id, will: { topic: `will/${id}`, payload: 'gone', qos: 1, retain: true } })
    t.true(await obs.quiet(200), 'no will while the client is connected')
    await client.end({ force: true }) // the socket closes without DISCONNECT
    const [m] = await obs.take(1)
    t.is(m?.topic, `will/${id}`)
    t.is(m?.payload.toString(), 'gone')
    t.is(m?.qos, 1)
    const later = await subscriber(raw, v, ['will/#'], 1)
    const [kept] = await later.take(1)
    t.is(kept?.payload.toString(), 'gone', 'a will with its retain flag set is stored as the retained message')
    t.true(kept?.retain)
  },

  async 'will-normal' ({ t, s, port, v, id, raw }) {
    const obs = await subscriber(raw, v, ['will/#'], 1)
    const client = await qosmosClient(s, port, v, { clientId: id, will: { topic: `will/${id}`, payload: 'gone', qos: 1 } })
    t.true(client.connected)
    await client.end() // DISCONNECT (reason 0x00 in v5)
    t.true(await obs.quiet(500), 'a normal DISCONNECT discards the will')
  },

  async 'session-resume' ({ t, s, port, v, id, raw }) {
    const persistent = { clientId: id, clean: false, ...(v === 5 ? { properties: { sessionExpiryInterval: 300 } } : {}) }
    const first = await qosmosClient(s, port, v, persistent)
    t.deepEqual((await first.subscribe('s/#', { qos: 2 })).granted, [2])
    await first.end()
    const pub = await publisher(raw, v)
    await pub.publish({ topic: 's/1', payload: 'one', qos: 1 })
    await pub.publish({ topic: 's/2', payload: 'two', qos: 2 })
    const resumed = await qosmosClient(s, port, v, persistent)
    const box = inbox(resumed)
    t.true(resumed.connack?.sessionPresent, 'CONNACK Session Present = 1 on resume')
    const got = await box.waitFor(2)
    t.deepEqual(got.map(m => [m.topic, text(m), m.qos]), [['s/1', 'one', 1], ['s/2', 'two', 2]])
    await delay(300)
    t.is(box.messages.length, 2, 'each queued message once')
  },

  async unsubscribe ({ t, s, port, v, raw }) {
    const client = await qosmosClient(s, port, v)
    const box = inbox(client)
    t.deepEqual((await client.subscribe(['u/a', 'u/b'], { qos: 1 })).granted, [1, 1])
    const codes = await client.unsubscribe('u/a')
    t.deepEqual(codes, v === 5 ? [0] : [], 'UNSUBACK: v5 Success per filter, 3.1.1 no payload')
    const pub = await publisher(raw, v)
    await pub.publish({ topic: 'u/a', payload: 'unsubscribed', qos: 1 })
    await pub.publish({ topic: 'u/b', payload: 'still', qos: 1 })
    await box.waitFor(1)
    await delay(300)
    t.deepEqual(box.messages.map(m => [m.topic, text(m)]), [['u/b', 'still']])
  },

  async 'user-properties' ({ t, s, port, v, raw }) {
    const obs = await subscriber(raw, v, ['p/#'], 1)
    const client = await qosmosClient(s, port, v)
    await client.publish('p/from-client', 'x', { qos: 1, properties: { userProperties: USER_PROPS } })
    const [m] = await obs.take(1)
    t.deepEqual(m?.properties?.userProperties, USER_PROPS, 'qosmos client -> broker -> raw subscriber')
    const sub = await client.subscribe('q/#', { qos: 1 })
    const pub = await publisher(raw, v)
    await pub.publish({ topic: 'q/to-client', payload: 'y', qos: 1, properties: { userProperties: USER_PROPS } })
    const [r] = await take(sub, 1)
    t.deepEqual(r?.properties?.userProperties, USER_PROPS, 'raw publisher -> broker -> qosmos client')
  },

  async 'response-correlation' ({ t, s, port, v, raw }) {
    const obs = await subscriber(raw, v, ['req/#'], 1)
    const client = await qosmosClient(s, port, v)
    await client.publish('req/a', 'ask', { qos: 1, properties: { responseTopic: 'reply/client', correlationData: Buffer.from('corr-42') } })
    const [m] = await obs.take(1)
    t.is(m?.properties?.responseTopic, 'reply/client')
    t.is(m?.properties?.correlationData?.toString(), 'corr-42')
    const sub = await client.subscribe('reply/#', { qos: 1 })
    const pub = await publisher(raw, v)
    await pub.publish({ topic: 'reply/client', payload: 'answer', qos: 1, properties: { responseTopic: 'reply/again', correlationData: Buffer.from('corr-43') } })
    const [r] = await take(sub, 1)
    t.is(r?.properties?.responseTopic, 'reply/again')
    t.is(r?.properties?.correlationData?.toString(), 'corr-43')
  },

  async 'message-expiry' ({ t, s, port, v, id, raw }) {
    const obs = await subscriber(raw, v, ['e/live'], 1)
    const live = await qosmosClient(s, port, v)
    await live.publish('e/live', 'live', { qos: 1, properties: { messageExpiryInterval: 60 } })
    const [m] = await obs.take(1)
    const liveLeft = m?.properties?.messageExpiryInterval ?? -1
    t.true(liveLeft >= 59 && liveLeft <= 60, `forwarded at once: the interval is (nearly) unchanged (got ${liveLeft})`)
    const persistent = { clientId: id, clean: false, properties: { sessionExpiryInterval: 300 } }
    const first = await qosmosClient(s, port, v, persistent)
    await first.subscribe('e/#', { qos: 1 })
    await first.end()
    const pub = await publisher(raw, v)
    await pub.publish({ topic: 'e/short', payload: 'short', qos: 1, properties: { messageExpiryInterval: 1 } })
    await pub.publish({ topic: 'e/long', payload: 'long', qos: 1, properties: { messageExpiryInterval: 120 } })
    await delay(2200) // real time in the broker's queue: the broker has no clock to skew
    const resumed = await qosmosClient(s, port, v, persistent)
    const box = inbox(resumed)
    const [r] = await box.waitFor(1)
    t.is(r?.topic, 'e/long')
    const left = r?.properties?.messageExpiryInterval ?? -1
    t.true(left >= 100 && left < 120, `the remaining interval is forwarded, less the time queued (got ${left})`)
    await delay(300)
    t.deepEqual(box.messages.map(x => x.topic), ['e/long'], 'the expired message was dropped')
  },

  async shared ({ t, s, port, v, id, raw }) {
    const members: Array<{ box: Inbox, sub: Subscription }> = []
    for (const n of ['a', 'b']) {
      const client = await qosmosClient(s, port, v, { clientId: `${id}-${n}` })
      const sub = await client.subscribe('$share/g/sh/t', { qos: 2 })
      t.deepEqual(sub.granted, [2])
      members.push({ box: inbox(client), sub })
    }
    const pub = await publisher(raw, v)
    const sent = Array.from({ length: 10 }, (_, i) => `m${i}`)
    for (const [i, p] of sent.entries()) await pub.publish({ topic: 'sh/t', payload: p, qos: i % 2 === 0 ? 1 : 2 })
    const all = (): Message[] => members.flatMap(m => [...m.box.messages])
    for (let i = 0; i < 100 && all().length < sent.length; i++) await delay(50)
    await delay(300)
    t.deepEqual(all().map(m => text(m)).sort(), [...sent].sort(), 'every message to exactly one member')
    t.true(all().every(m => m.topic === 'sh/t'), 'delivered with the published topic, not the $share filter')
    t.deepEqual(all().map(m => [text(m), m.qos]).sort(), sent.map((p, i) => [p, i % 2 === 0 ? 1 : 2]).sort(), 'QoS 1 and 2 kept')
    t.deepEqual(members.map(m => m.sub.buffered), members.map(m => m.box.messages.length), 'each member\'s subscription iterator got what its client got')
    t.log(`split: ${members.map(m => m.box.messages.length).join(' / ')}`)
  }
}
