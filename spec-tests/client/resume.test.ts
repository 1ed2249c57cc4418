import test from 'ava'
import { connect } from '../../lib/client/index.js'
import { SessionClosedError } from '../../lib/core/errors.js'
import type { PublishPacket } from '../../lib/protocol/packets.js'
import { fakeServer } from './_fake-server.js'

const fast = { initialDelay: 5, maxDelay: 20, jitter: 0 }

test('v5 [MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-3.3.1-1] [MQTT-4.3.2-2] [MQTT-4.3.3-2] v3.1.1 [MQTT-4.4.0-1] [MQTT-4.6.0-1] [MQTT-3.3.1-1] [MQTT-2.3.1-3] on a resumed session the client resends unacknowledged PUBLISH (DUP 1) and PUBREL with their ids, in original order', async t => {
  for (const version of [5, 4] as const) {
    const s = await fakeServer(t)
    const options = version === 5 ? { properties: { sessionExpiryInterval: 60 } } : { clean: false }
    const pending = connect(s.url, { protocolVersion: version, clientId: `resume-${version}`, reconnect: fast, ...options })
    const first = await s.accept()
    await first.handshake()
    const client = await pending
    const results = ['a', 'b', 'c'].map(async (topic, i) => { await client.publish(topic, topic, { qos: i === 0 ? 1 : 2 }) })
    const sent = [await first.expect('publish'), await first.expect('publish'), await first.expect('publish')]
    t.deepEqual(sent.map(p => [p.topic, p.qos, p.dup]), [['a', 1, false], ['b', 2, false], ['c', 2, false]])
    const ids = sent.map(p => p.packetId as number)
    first.send({ type: 'pubrec', packetId: ids[1] as number, reasonCode: 0 })
    t.is((await first.expect('pubrel')).packetId, ids[1] as number)
    first.destroy()

    const second = await s.accept()
    const reconnect = await second.expect('connect')
    t.false(reconnect.clean, 'Clean Start 0 / Clean Session 0 to resume')
    second.send({ type: 'connack', sessionPresent: true, reasonCode: 0 })
    const resent = [await second.next(), await second.next(), await second.next()]
    t.deepEqual(resent.map(p => p.type === 'publish' ? `publish ${p.packetId} ${(p).topic} dup=${String(p.dup)}` : `${p.type} ${'packetId' in p ? p.packetId : ''}`), [
      `publish ${ids[0]} a dup=true`, `pubrel ${ids[1]}`, `publish ${ids[2]} c dup=true`
    ])
    second.send({ type: 'puback', packetId: ids[0] as number, reasonCode: 0 })
    second.send({ type: 'pubcomp', packetId: ids[1] as number, reasonCode: 0 })
    second.send({ type: 'pubrec', packetId: ids[2] as number, reasonCode: 0 })
    t.is((await second.expect('pubrel')).packetId, ids[2] as number)
    second.send({ type: 'pubcomp', packetId: ids[2] as number, reasonCode: 0 })
    await Promise.all(results)
    await client.end()
  }
})

test('v5 [MQTT-3.2.2-5] [MQTT-4.4.0-1] a client whose server kept no session (Session Present 0) discards its flows: no DUP resend, no PUBREL; QoS 1 goes again as new, QoS 2 rejects', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { clientId: 'gone', reconnect: fast, properties: { sessionExpiryInterval: 60 } })
  const first = await s.accept()
  await first.handshake()
  const client = await pending
  const one = client.publish('one', '1', { qos: 1 })
  const two = client.publish('two', '2', { qos: 2 })
  const sent = [await first.expect('publish'), await first.expect('publish')]
  first.send({ type: 'pubrec', packetId: sent[1]?.packetId as number, reasonCode: 0 })
  await first.expect('pubrel')
  first.destroy()
  const second = await s.accept()
  await second.expect('connect')
  second.send({ type: 'connack', sessionPresent: false, reasonCode: 0 })
  await t.throwsAsync(two, { instanceOf: SessionClosedError })
  const again = await second.expect('publish') as PublishPacket
  t.deepEqual([again.topic, again.dup, again.qos], ['one', false, 1])
  t.true(await second.quiet())
  second.send({ type: 'puback', packetId: again.packetId as number, reasonCode: 0 })
  await one
})
