import test from 'ava'
import { connect } from '../../lib/client/index.js'
import { PacketTooLargeError, PublishRejectedError } from '../../lib/core/errors.js'
import type { ConnackProperties } from '../../lib/protocol/packets.js'
import { fakeServer, type FakePeer } from './_fake-server.js'

async function connected (t: Parameters<typeof fakeServer>[0], props: ConnackProperties): Promise<{ client: Awaited<ReturnType<typeof connect>>, peer: FakePeer }> {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false })
  const peer = await s.accept()
  await peer.handshake(props)
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  return { client, peer }
}

test('v5 [MQTT-3.2.2-11] the client never publishes above the server\'s Maximum QoS: the publication rejects with 0x9B and nothing is sent', async t => {
  const { client, peer } = await connected(t, { maximumQoS: 1 })
  const error = await t.throwsAsync(client.publish('t', 'x', { qos: 2 }), { instanceOf: PublishRejectedError })
  t.is(error?.reasonCode, 0x9b)
  await client.publish('t', 'ok', { qos: 0 })
  const sent = await peer.expect('publish')
  t.deepEqual([sent.payload.toString(), sent.qos], ['ok', 0])
})

test('v5 [MQTT-3.2.2-14] with Retain Available 0 the client sends no PUBLISH with RETAIN 1 (rejects with 0x9A)', async t => {
  const { client, peer } = await connected(t, { retainAvailable: false })
  const error = await t.throwsAsync(client.publish('t', 'x', { retain: true }), { instanceOf: PublishRejectedError })
  t.is(error?.reasonCode, 0x9a)
  await client.publish('t', 'plain')
  t.false((await peer.expect('publish')).retain)
})

test('v5 [MQTT-3.2.2-15] the client never sends a packet larger than the server\'s Maximum Packet Size (PacketTooLargeError, 0x95)', async t => {
  const { client, peer } = await connected(t, { maximumPacketSize: 64 })
  const error = await t.throwsAsync(client.publish('t', Buffer.alloc(100), { qos: 1 }), { instanceOf: PacketTooLargeError })
  t.is(error?.reasonCode, 0x95)
  const small = client.publish('t', Buffer.alloc(10), { qos: 1 })
  const sent = await peer.expect('publish')
  t.is(sent.payload.length, 10)
  peer.send({ type: 'puback', packetId: sent.packetId as number, reasonCode: 0 })
  await small
})

test('v5 [MQTT-3.3.4-6] a PUBLISH from the client carries no Subscription Identifier, even when the application passes one', async t => {
  const { client, peer } = await connected(t, {})
  const properties = { subscriptionIdentifiers: [7], contentType: 'text/plain' } as unknown as { contentType: string }
  await client.publish('t', 'x', { properties })
  const sent = await peer.expect('publish')
  t.is(sent.properties?.subscriptionIdentifiers, undefined)
  t.is(sent.properties?.contentType, 'text/plain')
})
