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
