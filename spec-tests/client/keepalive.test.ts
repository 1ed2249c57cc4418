import test from 'ava'
import { connect } from '../../lib/client/index.js'
import { ManualClock } from '../../lib/core/clock.js'
import { KeepAliveTimeoutError } from '../../lib/core/errors.js'
import { fakeServer } from './_fake-server.js'

test('v5 [MQTT-3.1.2-20] v3.1.1 [MQTT-3.1.2-23] with nothing else to send the client sends PINGREQ within Keep Alive', async t => {
  for (const version of [5, 4] as const) {
    const clock = new ManualClock(1_000_000)
    const s = await fakeServer(t)
    const pending = connect(s.url, { reconnect: false, protocolVersion: version, keepAlive: 5, clock })
    const peer = await s.accept()
    t.is((await peer.handshake()).keepAlive, 5)
    const client = await pending
    clock.advance(4999)
    t.true(await peer.quiet(50))
    clock.advance(1)
    await peer.expect('pingreq')
    peer.send({ type: 'pingresp' })
    // Sending something else restarts the count.
    clock.advance(3000)
    await client.publish('t', 'x')
    await peer.expect('publish')
    await new Promise(resolve => setTimeout(resolve, 50)) // lets the PINGRESP reach the client
    clock.advance(4999)
    t.true(await peer.quiet(50))
    clock.advance(1)
    await peer.expect('pingreq')
    await client.end({ force: true })
  }
})

test('v5 [MQTT-3.1.2-21] [MQTT-3.2.2-21] the client adopts the Server Keep Alive from CONNACK instead of its own', async t => {
  const clock = new ManualClock(0)
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false, keepAlive: 60, clock })
  const peer = await s.accept()
  await peer.handshake({ serverKeepAlive: 2 })
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  clock.advance(1999)
  t.true(await peer.quiet(50))
  clock.advance(1)
  t.is((await peer.expect('pingreq')).type, 'pingreq')
})

test('a PINGREQ left unanswered marks the link dead: the client closes it with KeepAliveTimeoutError and reconnects', async t => {
  const clock = new ManualClock(0)
  const s = await fakeServer(t)
  const pending = connect(s.url, { keepAlive: 10, pingTimeout: 3000, clock, reconnect: { initialDelay: 100, jitter: 0 } })
  const peer = await s.accept()
  await peer.handshake()
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  const closed = new Promise<Error | undefined>(resolve => client.once('close', resolve))
  clock.advance(10_000)
  await peer.expect('pingreq')
  clock.advance(2999)
  t.false(peer.isClosed)
  clock.advance(1)
  const error = await closed
  t.true(error instanceof KeepAliveTimeoutError)
  await peer.closed()
  clock.advance(100)
  const again = await s.accept()
  await again.expect('connect')
})
