import test from 'ava'
import { connect } from '../../lib/client/index.js'
import type { Packet } from '../../lib/protocol/packets.js'
import { fakeServer } from './_fake-server.js'

const publish = (topic: string, qos: 1 | 2, packetId: number): Packet => ({ type: 'publish', topic, payload: Buffer.from(topic), qos, retain: false, dup: false, packetId })

test('v5 [MQTT-4.6.0-2] [MQTT-4.6.0-3] [MQTT-4.5.0-2] v3.1.1 [MQTT-4.6.0-2] [MQTT-4.6.0-3] [MQTT-4.5.0-2] the client acknowledges every PUBLISH, PUBACKs and PUBRECs in arrival order', async t => {
  for (const version of [5, 4] as const) {
    const s = await fakeServer(t)
    const pending = connect(s.url, { protocolVersion: version, reconnect: false })
    const peer = await s.accept()
    await peer.handshake()
    const client = await pending
    // No subscription matches: the messages are still acknowledged.
    peer.send(publish('a', 1, 11))
    peer.send(publish('b', 2, 12))
    peer.send(publish('c', 1, 13))
    peer.send(publish('d', 2, 14))
    const acks = [await peer.next(), await peer.next(), await peer.next(), await peer.next()]
    t.deepEqual(acks.map(p => `${p.type} ${'packetId' in p ? p.packetId : ''}`), ['puback 11', 'pubrec 12', 'puback 13', 'pubrec 14'])
    await client.end({ force: true })
  }
})

test('v5 [MQTT-4.6.0-4] v3.1.1 [MQTT-4.6.0-4] the client sends PUBRELs in the order the PUBRECs arrived', async t => {
  for (const version of [5, 4] as const) {
    const s = await fakeServer(t)
    const pending = connect(s.url, { protocolVersion: version, reconnect: false })
    const peer = await s.accept()
    await peer.handshake()
    const client = await pending
    for (const topic of ['x', 'y', 'z']) client.publish(topic, topic, { qos: 2 }).catch(() => {})
    const ids = [(await peer.expect('publish')).packetId, (await peer.expect('publish')).packetId, (await peer.expect('publish')).packetId] as number[]
    const order = [ids[2], ids[0], ids[1]] as number[]
    for (const id of order) peer.send({ type: 'pubrec', packetId: id, reasonCode: 0 })
    const rels = [await peer.expect('pubrel'), await peer.expect('pubrel'), await peer.expect('pubrel')]
    t.deepEqual(rels.map(p => p.packetId), order)
    await client.end({ force: true })
  }
})

test('v5 [MQTT-2.2.1-3] v3.1.1 [MQTT-2.3.1-2] the client gives each new PUBLISH, SUBSCRIBE and UNSUBSCRIBE an unused non-zero packet identifier', async t => {
  for (const version of [5, 4] as const) {
    const s = await fakeServer(t)
    const pending = connect(s.url, { protocolVersion: version, reconnect: false })
    const peer = await s.accept()
    await peer.handshake()
    const client = await pending
    client.publish('p1', 'x', { qos: 1 }).catch(() => {})
    client.subscribe('s1').catch(() => {})
    client.publish('p2', 'x', { qos: 2 }).catch(() => {})
    client.unsubscribe('s1').catch(() => {})
    const packets = [await peer.next(), await peer.next(), await peer.next(), await peer.next()]
    const ids = packets.map(p => ('packetId' in p ? p.packetId : undefined) as number)
    t.deepEqual(packets.map(p => p.type), ['publish', 'subscribe', 'publish', 'unsubscribe'])
    t.is(new Set(ids).size, 4)
    t.true(ids.every(id => Number.isInteger(id) && id >= 1 && id <= 65535))
    await client.end({ force: true })
  }
})
