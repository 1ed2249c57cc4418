/**
 * The interop cases every third-party client runs against the qosmos broker, once per protocol
 * version it speaks. The peer is on one side, a raw-packet observer or publisher (spec-tests
 * harness) on the other, so each assertion is about what crossed the wire.
 */
import test, { type ExecutionContext } from 'ava'
import type { QoS } from '../../lib/protocol/packets.js'
import { delay } from '../../spec-tests/_harness/broker.js'
import { FEATURES, V5_ONLY, type Feature, type Version } from './matrix.js'
import { Scope, type PeerDriver, type PeerSession, type Received } from './peer.js'
import { publisher, qosmos, SkewClock, subscriber } from './qosmos.js'
import { recorder } from './recorder.js'

interface Ctx { readonly t: ExecutionContext, readonly s: Scope, readonly peer: PeerDriver, readonly v: Version, readonly id: string }
type Case = (c: Ctx) => Promise<void>

const USER_PROPS: ReadonlyArray<readonly [string, string]> = [['k1', 'v1'], ['k1', 'v2'], ['k2', 'v 3']]

const peerPublishes = (q: QoS): Case => async ({ t, s, peer, v }) => {
  const b = await qosmos(s)
  const obs = await subscriber(b, v, ['t/#'], 2)
  await peer.publish(s, b.port, v, { topic: `t/q${q}`, payload: `hello-q${q}`, qos: q })
  const [m] = await obs.take(1)
  t.is(m?.topic, `t/q${q}`)
  t.is(m?.payload.toString(), `hello-q${q}`)
  t.is(m?.qos, q, 'delivered at the QoS it was published with (subscription allows 2)')
  t.false(m?.retain)
  t.true(await obs.quiet(300), 'delivered once')
}

const peerReceives = (q: QoS): Case => async ({ t, s, peer, v, id }) => {
  const b = await qosmos(s)
  const session = await peer.subscribe(s, b.port, v, { clientId: id, filters: ['t/#'], qos: 2 })
  const pub = await publisher(b, v)
  await pub.publish({ topic: `t/q${q}`, payload: `to-peer-q${q}`, qos: q })
  const [m] = await session.waitFor(1)
  t.is(m?.topic, `t/q${q}`)
  t.is(m?.payload, `to-peer-q${q}`)
  t.is(m?.qos, q)
  t.false(m?.retain)
  await delay(300)
  t.is(session.received.length, 1, 'delivered once')
}

const cases: Record<Feature, Case> = {
  'pub-q0': peerPublishes(0),
  'pub-q1': peerPublishes(1),
  'pub-q2': peerPublishes(2),
  'sub-q0': peerReceives(0),
  'sub-q1': peerReceives(1),
  'sub-q2': peerReceives(2),

  async 'retain-set' ({ t, s, peer, v }) {
    const b = await qosmos(s)
    await peer.publish(s, b.port, v, { topic: 'r/kept', payload: 'kept', qos: 1, retain: true })
    const later = await subscriber(b, v, ['r/#'], 1)
    const [m] = await later.take(1)
    t.is(m?.topic, 'r/kept')
    t.is(m?.payload.toString(), 'kept')
    t.true(m?.retain, 'a retained message sent on SUBSCRIBE has RETAIN set')
    await peer.publish(s, b.port, v, { topic: 'r/kept', payload: '', qos: 1, retain: true })
    const [cleared] = await later.take(1) // the live subscriber still gets the empty message
    t.is(cleared?.payload.length, 0)
    const after = await subscriber(b, v, ['r/#'], 1)
    t.true(await after.quiet(300), 'the empty retained message removed the stored one')
  },

  async 'retain-get' ({ t, s, peer, v, id }) {
    const b = await qosmos(s)
    const pub = await publisher(b, v)
    await pub.publish({ topic: 'r/stored', payload: 'stored', qos: 1, retain: true })
    const session = await peer.subscribe(s, b.port, v, { clientId: id, filters: ['r/#'], qos: 1 })
    const [m] = await session.waitFor(1)
    t.is(m?.topic, 'r/stored')
    t.is(m?.payload, 'stored')
    t.is(m?.qos, 1)
    t.true(m?.retain)
  },

  async 'will-abnormal' ({ t, s, peer, v, id }) {
    const b = await qosmos(s)
    const obs = await subscriber(b, v, ['will/#'], 1)
    const session = await peer.subscribe(s, b.port, v, { clientId: id, filters: ['x/none'], qos: 0, will: { topic: `will/${id}`, payload: 'gone', qos: 1, retain: true } })
    t.true(await obs.quiet(200), 'no will while the peer is connected')
    await session.crash()
    const [m] = await obs.take(1)
    t.is(m?.topic, `will/${id}`)
    t.is(m?.payload.toString(), 'gone')
    t.is(m?.qos, 1)
    const later = await subscriber(b, v, ['will/#'], 1)
    const [kept] = await later.take(1)
    t.is(kept?.payload.toString(), 'gone', 'a will with its retain flag set is stored as the retained message')
    t.true(kept?.retain)
  },

  async 'will-normal' ({ t, s, peer, v, id }) {
    const b = await qosmos(s)
    const obs = await subscriber(b, v, ['will/#'], 1)
    await peer.subscribe(s, b.port, v, { clientId: id, filters: ['x/none'], qos: 0, thenDisconnect: true, will: { topic: `will/${id}`, payload: 'gone', qos: 1 } })
    t.true(await obs.quiet(500), 'a normal DISCONNECT discards the will')
  },

  async 'session-resume' ({ t, s, peer, v, id }) {
    const b = await qosmos(s)
    const persistent = { clientId: id, filters: ['s/#'], qos: 2 as QoS, cleanStart: false, sessionExpiry: 300 }
    await peer.subscribe(s, b.port, v, { ...persistent, thenDisconnect: true })
    const pub = await publisher(b, v)
    await pub.publish({ topic: 's/1', payload: 'one', qos: 1 })
    await pub.publish({ topic: 's/2', payload: 'two', qos: 2 })
    const resumed = await peer.subscribe(s, b.port, v, persistent)
    if (resumed.sessionPresent !== undefined) t.true(resumed.sessionPresent, 'CONNACK Session Present = 1 on resume')
    const got = await resumed.waitFor(2)
    t.deepEqual(got.slice(0, 2).map(m => [m.topic, m.payload, m.qos]), [['s/1', 'one', 1], ['s/2', 'two', 2]])
    await delay(300)
    t.is(resumed.received.length, 2, 'each queued message once')
  },

  async unsubscribe ({ t, s, peer, v, id }) {
    const b = await qosmos(s)
    const session = await peer.subscribe(s, b.port, v, { clientId: id, filters: ['u/a', 'u/b'], qos: 1, unsubscribe: ['u/a'] })
    const pub = await publisher(b, v)
    await pub.publish({ topic: 'u/a', payload: 'unsubscribed', qos: 1 })
    await pub.publish({ topic: 'u/b', payload: 'still', qos: 1 })
    await session.waitFor(1)
    await delay(300)
    t.deepEqual(session.received.map(m => [m.topic, m.payload]), [['u/b', 'still']])
  },

  async 'user-properties' ({ t, s, peer, v, id }) {
    const b = await qosmos(s)
    const obs = await subscriber(b, v, ['p/#'], 1)
    await peer.publish(s, b.port, v, { topic: 'p/from-peer', payload: 'x', qos: 1, userProperties: USER_PROPS })
    const [m] = await obs.take(1)
    t.deepEqual(m?.properties?.userProperties, USER_PROPS, 'peer -> qosmos -> subscriber')
    const session = await peer.subscribe(s, b.port, v, { clientId: id, filters: ['q/#'], qos: 1 })
    const pub = await publisher(b, v)
    await pub.publish({ topic: 'q/to-peer', payload: 'y', qos: 1, properties: { userProperties: USER_PROPS } })
    const [r] = await session.waitFor(1)
    t.deepEqual(r?.userProperties, USER_PROPS, 'publisher -> qosmos -> peer')
  },

  async 'response-correlation' ({ t, s, peer, v, id }) {
    const b = await qosmos(s)
    const obs = await subscriber(b, v, ['req/#'], 1)
    await peer.publish(s, b.port, v, { topic: 'req/a', payload: 'ask', qos: 1, responseTopic: 'reply/peer', correlationData: 'corr-42' })
    const [m] = await obs.take(1)
    t.is(m?.properties?.responseTopic, 'reply/peer')
    t.is(m?.properties?.correlationData?.toString(), 'corr-42')
    const session = await peer.subscribe(s, b.port, v, { clientId: id, filters: ['reply/#'], qos: 1 })
    const pub = await publisher(b, v)
    await pub.publish({ topic: 'reply/peer', payload: 'answer', qos: 1, properties: { responseTopic: 'reply/again', correlationData: Buffer.from('corr-43') } })
    const [r] = await session.waitFor(1)
    t.is(r?.responseTopic, 'reply/again')
    t.is(r?.correlationData, 'corr-43')
  },

  async 'message-expiry' ({ t, s, peer, v, id }) {
    const clock = new SkewClock()
    const b = await qosmos(s, { clock })
    const obs = await subscriber(b, v, ['e/live'], 1)
    await peer.publish(s, b.port, v, { topic: 'e/live', payload: 'live', qos: 1, messageExpiryInterval: 60 })
    const [live] = await obs.take(1)
    const liveLeft = live?.properties?.messageExpiryInterval ?? -1
    t.true(liveLeft >= 59 && liveLeft <= 60, `forwarded at once: the interval is (nearly) unchanged (got ${liveLeft})`)
    const persistent = { clientId: id, filters: ['e/#'], qos: 1 as QoS, cleanStart: false, sessionExpiry: 300 }
    await peer.subscribe(s, b.port, v, { ...persistent, thenDisconnect: true })
    const pub = await publisher(b, v)
    await pub.publish({ topic: 'e/short', payload: 'short', qos: 1, properties: { messageExpiryInterval: 5 } })
    await pub.publish({ topic: 'e/long', payload: 'long', qos: 1, properties: { messageExpiryInterval: 120 } })
    clock.skewMs += 10_000 // ten seconds in the server's queue
    const resumed = await peer.subscribe(s, b.port, v, persistent)
    const [m] = await resumed.waitFor(1)
    t.is(m?.topic, 'e/long')
    const left = m?.messageExpiryInterval ?? -1
    t.true(left >= 109 && left <= 110, `remaining interval forwarded (got ${left})`)
    await delay(300)
    t.deepEqual(resumed.received.map(x => x.topic), ['e/long'], 'the expired message was dropped')
  },

  async shared ({ t, s, peer, v, id }) {
    const b = await qosmos(s)
    const members: PeerSession[] = []
    for (const n of ['a', 'b']) members.push(await peer.subscribe(s, b.port, v, { clientId: `${id}-${n}`, filters: ['$share/g/sh/t'], qos: 2 }))
    const pub = await publisher(b, v)
    const sent = Array.from({ length: 10 }, (_, i) => `m${i}`)
    for (const [i, p] of sent.entries()) await pub.publish({ topic: 'sh/t', payload: p, qos: i % 2 === 0 ? 1 : 2 })
    const all = (): Received[] => members.flatMap(m => [...m.received])
    for (let i = 0; i < 100 && all().length < sent.length; i++) await delay(50)
    await delay(300)
    t.deepEqual(all().map(m => m.payload).sort(), [...sent].sort(), 'every message to exactly one member')
    t.true(all().every(m => m.topic === 'sh/t'), 'delivered with the published topic, not the $share filter')
    t.deepEqual(all().map(m => [m.payload, m.qos]).sort(), sent.map((p, i) => [p, i % 2 === 0 ? 1 : 2]).sort(), 'QoS 1 and 2 kept')
    t.log(`split: ${members.map(m => m.received.length).join(' / ')}`)
  }
}

let nextClient = 0

/** At most `n` bodies at once: the machine is small and each case spawns processes. */
export function gate (n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0
  const waiting: Array<() => void> = []
  return async fn => {
    if (running >= n) await new Promise<void>(resolve => { waiting.push(resolve) })
    running++
    try { return await fn() } finally {
      running--
      waiting.shift()?.()
    }
  }
}

/**
 * Registers every case for `peer`, for each protocol version it speaks; `file` names the
 * results file; at most `concurrency` cases run at once.
 */
export function registerPeerSuite (peer: PeerDriver, file: string, concurrency = 4, versions: readonly Version[] = peer.versions): void {
  const rec = recorder(file, peer.tool)
  const limit = gate(concurrency)
  for (const v of versions) {
    for (const feature of Object.keys(FEATURES) as Feature[]) {
      if (V5_ONLY.has(feature) && v !== 5) continue
      const title = `${peer.label} MQTT ${v === 5 ? '5.0' : '3.1.1'} ${feature}: ${FEATURES[feature]}`
      const cell = { peer: peer.id, version: v, feature }
      if (peer.missing !== undefined) {
        rec.skipped(cell, peer.missing)
        test.skip(`${title} [skipped: ${peer.missing}]`, () => {})
        continue
      }
      rec.expect(title, cell)
      const body = cases[feature]
      test(title, t => limit(async () => {
        const s = new Scope()
        t.teardown(() => s.close()) // also when ava gives up on the test
        try {
          await body({ t, s, peer, v, id: `${peer.id}-${v}-${feature}-${process.pid}-${++nextClient}` })
        } finally {
          await s.close() // inside the gate, so the next case starts on a quiet machine
        }
      }))
    }
  }
  rec.registered()
}
