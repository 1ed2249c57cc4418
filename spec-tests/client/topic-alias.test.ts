import test from 'ava'
import { connect } from '../../lib/client/index.js'
import type { ConnackProperties, PublishPacket } from '../../lib/protocol/packets.js'
import { fakeServer } from './_fake-server.js'

async function publishAll (t: Parameters<typeof fakeServer>[0], props: ConnackProperties | undefined, topics: string[]): Promise<PublishPacket[]> {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false })
  const peer = await s.accept()
  await peer.handshake(props)
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  for (const topic of topics) await client.publish(topic, topic)
  const out: PublishPacket[] = []
  for (const _ of topics) out.push(await peer.expect('publish'))
  return out
}

const shown = (p: PublishPacket): string => `${p.topic}|${p.properties?.topicAlias ?? '-'}`

test('v5 [MQTT-3.2.2-17] [MQTT-3.3.2-9] [MQTT-3.3.2-8] client aliases stay in 1..Topic Alias Maximum; the least recently used is reassigned', async t => {
  const sent = await publishAll(t, { topicAliasMaximum: 2 }, ['a', 'b', 'a', 'c', 'b', 'a'])
  // a->1, b->2, a by alias (now b is least recent), c takes b's 2, b takes a's 1, a takes c's 2.
  t.deepEqual(sent.map(shown), ['a|1', 'b|2', '|1', 'c|2', 'b|1', 'a|2'])
  t.true(sent.every(p => p.properties?.topicAlias !== 0))
})

test('v5 [MQTT-3.2.2-18] without a Topic Alias Maximum in CONNACK the client sends no topic alias', async t => {
  const sent = await publishAll(t, {}, ['a', 'a', 'b'])
  t.deepEqual(sent.map(shown), ['a|-', 'a|-', 'b|-'])
})

test('v5 [MQTT-3.3.2-7] client topic aliases do not carry over to the next network connection', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: { initialDelay: 10, jitter: 0 } })
  const first = await s.accept()
  await first.handshake({ topicAliasMaximum: 5 })
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  await client.publish('x/y', '1')
  await client.publish('x/y', '2')
  t.deepEqual([shown(await first.expect('publish')), shown(await first.expect('publish'))], ['x/y|1', '|1'])
  first.destroy()
  const second = await s.accept()
  await second.handshake({ topicAliasMaximum: 5 })
  await new Promise<void>(resolve => { if (client.connected) resolve(); else client.once('connect', () => resolve()) })
  await client.publish('x/y', '3')
  t.is(shown(await second.expect('publish')), 'x/y|1')
})

test('v5 [MQTT-3.3.2-10] the client accepts server aliases from 1 to its own Topic Alias Maximum, and refuses one above it with DISCONNECT 0x94', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false, topicAliasMaximum: 3 })
  const peer = await s.accept()
  t.is((await peer.handshake()).properties?.topicAliasMaximum, 3)
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  const topics: string[] = []
  client.on('message', topic => { topics.push(topic) })
  const publish = (topic: string, alias: number): void => { peer.send({ type: 'publish', topic, payload: Buffer.from('p'), qos: 0, retain: false, dup: false, properties: { topicAlias: alias } }) }
  publish('s/one', 1)
  publish('s/three', 3)
  publish('', 1)
  publish('', 3)
  publish('s/four', 4)
  const disconnect = await peer.expect('disconnect')
  t.is(disconnect.reasonCode, 0x94)
  t.deepEqual(topics, ['s/one', 's/three', 's/one', 's/three'])
})
