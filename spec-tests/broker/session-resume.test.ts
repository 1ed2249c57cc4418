/**
 * Persistent sessions through the real broker (4.4, 4.5, 3.3.2 Message Expiry): what a client
 * finds when it resumes its session, and what it does not find when it starts clean.
 */
import test from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import { startBroker, type RawClient, type TestBroker } from '../_harness/broker.js'
import { publish, receive, subscribe, text } from '../_harness/flows.js'

const VERSIONS = [4, 5] as const

function persistent (v: 4 | 5, clientId: string): Record<string, unknown> {
  return v === 5 ? { clientId, clean: false, properties: { sessionExpiryInterval: 300 } } : { clientId, clean: false }
}

async function reconnect (b: TestBroker, v: 4 | 5, clientId: string, clean = false): Promise<{ c: RawClient, present: boolean }> {
  const c = await b.client(v)
  const fields = clean ? { ...persistent(v, clientId), clean: true } : persistent(v, clientId)
  const ack = await c.connect(fields)
  return { c, present: ack.sessionPresent }
}

test('v3.1.1 [MQTT-4.5.0-1] v5 [MQTT-4.5.0-1] messages published while a persistent session is offline are delivered when it resumes', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const clientId = `off-${v}`
      const sub = await b.connected(v, persistent(v, clientId))
      await subscribe(sub, ['off/#'], { qos: 2 })
      await sub.disconnect()
      const pub = await b.connected(v)
      await publish(pub, 'off/1', 'one', { qos: 1 })
      await publish(pub, 'off/2', 'two', { qos: 2 })
      await publish(pub, 'off/0', 'zero', { qos: 0 })
      const { c, present } = await reconnect(b, v, clientId)
      t.true(present)
      const got = await receive(c, 2)
      t.deepEqual(got.map(p => [text(p), p.qos, p.dup]), [['one', 1, false], ['two', 2, false]], 'first transmissions, DUP 0')
      t.true(await c.quiet(200), 'QoS 0 is not queued for an offline session (by default)')
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-4.6.0-1] v5 [MQTT-4.4.0-1] [MQTT-3.3.1-1] on resume the broker resends unacknowledged PUBLISH packets with DUP 1 and their ids, in the original order, before new ones', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const clientId = `dup-${v}`
      const sub = await b.connected(v, persistent(v, clientId))
      await subscribe(sub, ['dup/#'], { qos: 2 })
      const pub = await b.connected(v)
      for (let i = 0; i < 4; i++) await publish(pub, `dup/${i}`, `m${i}`, { qos: i % 2 === 0 ? 1 : 2 })
      const first = await receive(sub, 4)
      t.true(first.every(p => !p.dup))
      sub.destroy()
      await publish(pub, 'dup/later', 'later', { qos: 1 })
      const { c, present } = await reconnect(b, v, clientId)
      t.true(present)
      const again = await receive(c, 5)
      t.deepEqual(again.slice(0, 4).map(p => [text(p), p.packetId, p.dup, p.qos]), first.map(p => [text(p), p.packetId, true, p.qos]))
      const last = again[4]
      t.deepEqual(last === undefined ? [] : [text(last), last.dup], ['later', false])
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.4.0-1] v5 [MQTT-4.4.0-1] a clean start drops unacknowledged messages: nothing is resent', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const clientId = `clean-${v}`
      const sub = await b.connected(v, persistent(v, clientId))
      await subscribe(sub, ['cl/#'], { qos: 1 })
      const pub = await b.connected(v)
      await publish(pub, 'cl/a', 'x', { qos: 1 })
      await receive(sub, 1)
      sub.destroy()
      const { c, present } = await reconnect(b, v, clientId, true)
      t.false(present)
      t.true(await c.quiet(300))
    }
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-5] [MQTT-3.3.2-6] a queued message expires while the session is offline; one still alive is forwarded with the time it has left', async t => {
  const clock = new ManualClock(9_000_000)
  const b = await startBroker({ clock, sysInterval: 0 })
  try {
    const clientId = 'exp-queue'
    const sub = await b.connected(5, persistent(5, clientId))
    await subscribe(sub, ['xq/#'], { qos: 1 })
    await sub.disconnect()
    const pub = await b.connected(5)
    await publish(pub, 'xq/short', 's', { qos: 1, properties: { messageExpiryInterval: 3 } })
    await publish(pub, 'xq/long', 'l', { qos: 1, properties: { messageExpiryInterval: 100 } })
    await publish(pub, 'xq/none', 'n', { qos: 1 })
    clock.advance(5_000)
    const { c } = await reconnect(b, 5, clientId)
    const got = await receive(c, 2)
    t.deepEqual(got.map(p => p.topic), ['xq/long', 'xq/none'], 'the expired message is gone')
    t.is(got[0]?.properties?.messageExpiryInterval, 95)
    t.is(got[1]?.properties?.messageExpiryInterval, undefined)
    t.true(await c.quiet(200))
  } finally { await b.close() }
})

test('v5 [MQTT-3.3.2-6] a message waiting for Receive Maximum quota is forwarded with its expiry reduced by the wait', async t => {
  const clock = new ManualClock(11_000_000)
  const b = await startBroker({ clock, sysInterval: 0 })
  try {
    const sub = await b.connected(5, { properties: { receiveMaximum: 1 } })
    await subscribe(sub, ['xw/#'], { qos: 1 })
    const pub = await b.connected(5)
    await publish(pub, 'xw/a', 'a', { qos: 1, properties: { messageExpiryInterval: 60 } })
    await publish(pub, 'xw/b', 'b', { qos: 1, properties: { messageExpiryInterval: 60 } })
    const [a] = await receive(sub, 1)
    t.is(a?.properties?.messageExpiryInterval, 60)
    t.true(await sub.quiet(200), 'b waits for quota')
    clock.advance(20_000)
    sub.send({ type: 'puback', packetId: a?.packetId as number })
    const [bb] = await receive(sub, 1)
    t.is(bb?.properties?.messageExpiryInterval, 40)
  } finally { await b.close() }
})

test('subscriptions survive in a resumed session, for 3.1.1 and 5', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const clientId = `subs-${v}`
      const sub = await b.connected(v, persistent(v, clientId))
      await subscribe(sub, ['keep/sub/#'], { qos: 1 })
      await sub.disconnect()
      const { c } = await reconnect(b, v, clientId)
      const pub = await b.connected(v)
      await publish(pub, 'keep/sub/x', 'x', { qos: 1 })
      t.is((await receive(c, 1))[0]?.topic, 'keep/sub/x')
    }
  } finally { await b.close() }
})
