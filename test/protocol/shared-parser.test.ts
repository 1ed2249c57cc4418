/**
 * Every PacketDecoder shares one mqtt-packet parser (decoder.ts SharedParser). Decoders of
 * different protocol levels, fed interleaved partial chunks, must still decode exactly their own
 * packets, and one decoder's malformed packet must not disturb another's.
 */
import test from 'ava'
import { encode } from '../../lib/protocol/encoder.js'
import { PacketDecoder } from '../../lib/protocol/decoder.js'
import type { Packet, ProtocolVersion } from '../../lib/protocol/packets.js'

function stream (version: ProtocolVersion, clientId: string): { bytes: Buffer, packets: Packet[] } {
  const packets: Packet[] = [
    { type: 'connect', protocolName: 'MQTT', protocolVersion: version, clientId, clean: true, keepAlive: 30 },
    { type: 'subscribe', packetId: 7, subscriptions: [{ topicFilter: `${clientId}/+`, qos: 1 }] },
    { type: 'unsubscribe', packetId: 8, topicFilters: [`${clientId}/#`] },
    { type: 'pingreq' }
  ]
  return { bytes: Buffer.concat(packets.map(p => encode(p, version))), packets }
}

test('decoders of different levels fed interleaved chunks each decode their own packets', t => {
  const a = stream(4, 'alpha')
  const b = stream(5, 'beta')
  const da = new PacketDecoder()
  const db = new PacketDecoder()
  const outA: Packet[] = []
  const outB: Packet[] = []
  for (let i = 0; i < Math.max(a.bytes.length, b.bytes.length); i += 3) {
    const ra = da.push(a.bytes.subarray(i, i + 3))
    const rb = db.push(b.bytes.subarray(i, i + 3))
    t.is(ra.error, undefined)
    t.is(rb.error, undefined)
    outA.push(...ra.packets)
    outB.push(...rb.packets)
  }
  t.is(outA.length, 4)
  t.is(outB.length, 4)
  t.like(outA[0], { type: 'connect', clientId: 'alpha', protocolVersion: 4 })
  t.like(outB[0], { type: 'connect', clientId: 'beta', protocolVersion: 5 })
  t.like(outA[1], { type: 'subscribe', packetId: 7, subscriptions: [{ topicFilter: 'alpha/+', qos: 1 }] })
  t.like(outB[2], { type: 'unsubscribe', packetId: 8, topicFilters: ['beta/#'] })
})

test('a decoder killed by a malformed packet leaves the other decoders working', t => {
  const good = stream(4, 'good')
  const dg = new PacketDecoder()
  const first = dg.push(good.bytes.subarray(0, 20))
  t.is(first.error, undefined)
  const bad = new PacketDecoder()
  bad.push(encode({ type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clientId: 'bad', clean: true, keepAlive: 0 }, 4))
  // SUBSCRIBE with a Topic Filter whose QoS byte is 3: malformed.
  const broken = bad.push(Buffer.from([0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x03]))
  t.truthy(broken.error)
  const rest = dg.push(good.bytes.subarray(20))
  t.is(rest.error, undefined)
  t.is(first.packets.length + rest.packets.length, 4)
})

test('decoders share their scratch state: user properties and split fixed headers of one never reach another (v5 [MQTT-3.3.2-17] [MQTT-3.3.2-18]: every User Property kept, in order)', t => {
  const publish: Packet = {
    type: 'publish', topic: 'p/t', payload: Buffer.from('x'), qos: 1, packetId: 9, retain: false, dup: false,
    properties: { userProperties: [['k', '1'], ['k', '2'], ['a', 'b']] }
  }
  const connect: Packet = {
    type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clientId: 'other', clean: true, keepAlive: 10,
    properties: { userProperties: [['c', 'd']] },
    will: { topic: 'w', payload: Buffer.from('bye'), qos: 0, retain: false, properties: { userProperties: [['w', 'v']] } }
  }
  const first = new PacketDecoder({ protocolVersion: 5 })
  const second = new PacketDecoder()
  const p = encode(publish, 5)
  const c = encode(connect, 5)
  // The first decoder stops inside the PUBLISH's Remaining Length, then inside its body, while the
  // second decodes a CONNECT with user properties of its own in between.
  const r1 = first.push(p.subarray(0, 1))
  const r2 = second.push(c.subarray(0, 2))
  const r3 = first.push(p.subarray(1, 6))
  const r4 = second.push(c.subarray(2))
  const r5 = first.push(p.subarray(6))
  for (const r of [r1, r2, r3, r4, r5]) t.is(r.error, undefined)
  t.deepEqual([r1, r3].map(r => r.packets.length), [0, 0])
  t.like(r4.packets[0], { type: 'connect', clientId: 'other', properties: { userProperties: [['c', 'd']] }, will: { properties: { userProperties: [['w', 'v']] } } })
  t.like(r5.packets[0], { type: 'publish', topic: 'p/t', packetId: 9, properties: { userProperties: [['k', '1'], ['k', '2'], ['a', 'b']] } })
})
