/**
 * Keep Alive as the server enforces it (v3.1.1 3.1.2.10, v5 3.1.2.10 and Server Keep Alive
 * 3.2.2.3.14) and PINGREQ (3.12), on the broker's injected ManualClock: time moves only when
 * the test says so, and no test waits for it.
 */
import test from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import type { RawClient } from '../_harness/broker.js'
import { brokerFor, disconnectedWith, LEVELS } from '../_harness/checks.js'

/** Open and not closing: a PINGREQ is still answered. */
async function alive (c: RawClient): Promise<boolean> {
  if (c.isClosed) return false
  c.send({ type: 'pingreq' })
  try { await c.expect('pingresp', 1000); return true } catch { return false }
}

/** Lets the socket events of what the clock just did arrive. */
const settle = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 50))

test('v3.1.1 [MQTT-3.1.2-24] v5 [MQTT-3.1.2-22] [MQTT-3.2.2-22] a client silent for one and a half times its Keep Alive is disconnected (v5: DISCONNECT 0x8D), not a moment before', async t => {
  const clock = new ManualClock(10_000)
  const b = await brokerFor(t, { clock, sysInterval: 0 })
  for (const v of LEVELS) {
    const c = await b.client(v)
    const ack = await c.connect({ keepAlive: 10 })
    t.is(ack.properties?.serverKeepAlive, undefined, 'no Server Keep Alive: the client value is the one used')
    clock.advance(14_999)
    await settle()
    t.false(c.isClosed, `level ${v}: closed before 15 s of silence`)
    t.deepEqual(c.queued, [])
    clock.advance(1)
    await disconnectedWith(t, c, 0x8d, `level ${v}`)
  }
})

test('v3.1.1 [MQTT-3.1.2-24] v5 [MQTT-3.1.2-22] every packet from the client restarts the Keep Alive period', async t => {
  const clock = new ManualClock(0)
  const b = await brokerFor(t, { clock, sysInterval: 0 })
  for (const v of LEVELS) {
    const c = await b.client(v)
    await c.connect({ keepAlive: 4 })
    // 6 s is the limit; a packet every 5 s keeps the connection for as long as it goes on.
    for (let i = 0; i < 5; i++) {
      clock.advance(5_000)
      t.true(await alive(c), `level ${v}: round ${i}`)
    }
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'ka/x', qos: 0 }] })
    await c.expect('suback')
    clock.advance(5_999)
    await settle()
    t.false(c.isClosed, `level ${v}: a SUBSCRIBE counts as well`)
    clock.advance(1)
    await disconnectedWith(t, c, 0x8d, `level ${v} after the last packet`)
  }
})

test('v5 [MQTT-3.1.2-22] v3.1.1 [MQTT-3.1.2-24] Keep Alive 0 turns the mechanism off: a silent client stays connected', async t => {
  const clock = new ManualClock(0)
  const b = await brokerFor(t, { clock, sysInterval: 0 })
  for (const v of LEVELS) {
    const c = await b.client(v)
    await c.connect({ keepAlive: 0 })
    clock.advance(86_400_000)
    await settle()
    t.true(await alive(c), `level ${v}`)
  }
})

test('v5 [MQTT-3.2.2-22] with a Server Keep Alive in CONNACK the server holds the client to that value instead of its own', async t => {
  const clock = new ManualClock(0)
  const b = await brokerFor(t, { clock, sysInterval: 0, maxKeepAlive: 20 })
  // Asked for 60 (or 0, no keep alive): told 20, and cut off after 30 s of silence.
  for (const asked of [60, 0]) {
    const c = await b.client(5)
    const ack = await c.connect({ keepAlive: asked })
    t.is(ack.properties?.serverKeepAlive, 20, `asked ${asked}`)
    clock.advance(29_999)
    await settle()
    t.false(c.isClosed, `asked ${asked}: closed early`)
    clock.advance(1)
    await disconnectedWith(t, c, 0x8d, `asked ${asked}`)
  }
  // Asked for 8, within the maximum: no Server Keep Alive, and 12 s is the limit.
  const c = await b.client(5)
  const ack = await c.connect({ keepAlive: 8 })
  t.is(ack.properties?.serverKeepAlive, undefined)
  clock.advance(11_999)
  await settle()
  t.false(c.isClosed)
  clock.advance(1)
  await disconnectedWith(t, c, 0x8d, 'asked 8')
})

test('v3.1.1 [MQTT-3.12.4-1] v5 [MQTT-3.12.4-1] each PINGREQ is answered with its own PINGRESP, in order with other acknowledgements', async t => {
  const b = await brokerFor(t)
  for (const v of LEVELS) {
    const c = await b.connected(v, { keepAlive: 30 })
    for (let i = 0; i < 5; i++) c.send({ type: 'pingreq' })
    for (let i = 0; i < 5; i++) await c.expect('pingresp')
    c.send({ type: 'pingreq' })
    c.send({ type: 'subscribe', packetId: 3, subscriptions: [{ topicFilter: 'p/q', qos: 0 }] })
    c.send({ type: 'pingreq' })
    t.deepEqual([(await c.next()).type, (await c.next()).type, (await c.next()).type], ['pingresp', 'suback', 'pingresp'])
    t.true(await c.quiet(100))
  }
})
