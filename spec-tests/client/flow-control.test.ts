import test from 'ava'
import { connect } from '../../lib/client/index.js'
import { fakeServer } from './_fake-server.js'

test('v5 [MQTT-3.3.4-7] [MQTT-4.9.0-2] the client keeps at most the server\'s Receive Maximum QoS 1/2 PUBLISH packets unacknowledged', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false })
  const peer = await s.accept()
  await peer.handshake({ receiveMaximum: 2 })
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  const done = [1, 2, 3, 4].map(async i => { await client.publish(`t/${i}`, 'x', { qos: i % 2 === 0 ? 2 : 1 }) })
  done[3]?.catch(() => {})
  const first = await peer.expect('publish')
  const second = await peer.expect('publish')
  t.deepEqual([first.topic, second.topic], ['t/1', 't/2'])
  t.true(await peer.quiet(), 'a third QoS>0 PUBLISH would exceed the Receive Maximum of 2')
  peer.send({ type: 'puback', packetId: first.packetId as number, reasonCode: 0 })
  const third = await peer.expect('publish')
  t.is(third.topic, 't/3')
  t.true(await peer.quiet())
  peer.send({ type: 'pubrec', packetId: second.packetId as number, reasonCode: 0 })
  t.is((await peer.expect('pubrel')).packetId, second.packetId as number)
  t.true(await peer.quiet(), 'a flow awaiting PUBCOMP still counts')
  peer.send({ type: 'pubcomp', packetId: second.packetId as number, reasonCode: 0 })
  t.is((await peer.expect('publish')).topic, 't/4')
  peer.send({ type: 'puback', packetId: third.packetId as number, reasonCode: 0 })
  await Promise.all(done.slice(0, 3))
  t.pass()
})

test('v5 [MQTT-3.3.4-8] [MQTT-4.9.0-3] at zero send quota the client still sends QoS 0 PUBLISH, SUBSCRIBE and acknowledgements', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false })
  const peer = await s.accept()
  await peer.handshake({ receiveMaximum: 1 })
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  client.publish('held/1', 'x', { qos: 1 }).catch(() => {})
  client.publish('held/2', 'x', { qos: 1 }).catch(() => {})
  t.is((await peer.expect('publish')).topic, 'held/1')
  await client.publish('free', 'x', { qos: 0 })
  const zero = await peer.expect('publish')
  t.deepEqual([zero.topic, zero.qos], ['free', 0])
  client.subscribe('s/#', { qos: 1 }).catch(() => {})
  t.is((await peer.expect('subscribe')).subscriptions[0]?.topicFilter, 's/#')
  peer.send({ type: 'publish', topic: 's/x', payload: Buffer.from('in'), qos: 2, retain: false, dup: false, packetId: 40 })
  t.deepEqual(await peer.expect('pubrec'), { type: 'pubrec', packetId: 40, reasonCode: 0 })
})
