import test from 'ava'
import { connect } from '../../lib/client/index.js'
import { InvalidArgumentError, ProtocolViolationError } from '../../lib/core/errors.js'
import { fakeServer } from './_fake-server.js'

test('v5 [MQTT-3.1.0-1] v3.1.1 [MQTT-3.1.0-1] the first packet the client sends on each new connection is CONNECT', async t => {
  for (const version of [5, 4] as const) {
    const s = await fakeServer(t)
    const pending = connect(s.url, { protocolVersion: version, reconnect: { initialDelay: 10, jitter: 0 } })
    const first = await s.accept()
    t.is((await first.next()).type, 'connect')
    first.send({ type: 'connack', sessionPresent: false, reasonCode: 0 })
    const client = await pending
    first.destroy()
    const second = await s.accept()
    t.is((await second.next()).type, 'connect')
    await client.end({ force: true })
  }
})

test('v5 [MQTT-3.2.2-4] a client that sent Clean Start 1 and gets Session Present 1 closes the connection (DISCONNECT 0x82)', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false, clean: true })
  const peer = await s.accept()
  t.true((await peer.expect('connect')).clean)
  peer.send({ type: 'connack', sessionPresent: true, reasonCode: 0 })
  t.is((await peer.expect('disconnect')).reasonCode, 0x82)
  await peer.closed()
  await t.throwsAsync(pending, { instanceOf: ProtocolViolationError })
})

test('v3.1.1 [MQTT-3.1.3-7] an empty client identifier is only sent with Clean Session 1', async t => {
  await t.throwsAsync(connect('mqtt://127.0.0.1:1', { protocolVersion: 4, clientId: '', clean: false }), { instanceOf: InvalidArgumentError })
  const s = await fakeServer(t)
  const pending = connect(s.url, { protocolVersion: 4, clientId: '', reconnect: false })
  const peer = await s.accept()
  const packet = await peer.handshake()
  t.deepEqual([packet.clientId, packet.clean], ['', true])
  await (await pending).end()
})

test('v5 [MQTT-3.14.4-1] [MQTT-3.14.4-2] v3.1.1 [MQTT-3.14.4-1] [MQTT-3.14.4-2] after DISCONNECT the client sends nothing more and closes the connection', async t => {
  for (const version of [5, 4] as const) {
    const s = await fakeServer(t)
    const pending = connect(s.url, { protocolVersion: version, reconnect: false })
    const peer = await s.accept()
    await peer.handshake()
    const client = await pending
    const ended = client.end()
    const publishing = client.publish('late', 'x').catch((e: unknown) => e)
    await ended
    await peer.closed()
    t.deepEqual(peer.received.map(p => p.type), ['connect', 'disconnect'])
    t.truthy(await publishing)
  }
})
