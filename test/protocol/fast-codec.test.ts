/**
 * The hand-written fast path of the codec (lib/protocol/fast-codec.ts) must give exactly what the
 * general path (mqtt-packet through codec-encode/codec-decode) gives, byte for byte and field for
 * field; mqtt-packet is the oracle here. And the per-fan-out PUBLISH templates must patch the
 * packet id and DUP and nothing else.
 */
import test from 'ava'
import { generate } from 'mqtt-packet'
import { fromMqttPacket, toMqttPacket } from '../../lib/protocol/codec.js'
import { encode, encodeRouted } from '../../lib/protocol/encoder.js'
import { decodeAck, decodePublish, encodeAck, encodePublish, PublishTemplates } from '../../lib/protocol/fast-codec.js'
import { PacketDecoder } from '../../lib/protocol/decoder.js'
import type { ProtocolVersion, PublishAckPacket, PublishPacket, QoS } from '../../lib/protocol/packets.js'
import { headerLength, oracleDecode } from './_oracle.js'

const VERSIONS: readonly ProtocolVersion[] = [3, 4, 5]
const TOPICS = ['a', 'bench/sensors/42/temperature', 'é/ü/😀', 'x'.repeat(300)]
const PAYLOAD_SIZES = [0, 1, 64, 117, 200, 16_400, 2_100_000]

function oracleEncode (packet: PublishPacket | PublishAckPacket, version: ProtocolVersion): Buffer {
  return generate(toMqttPacket(packet, version), { protocolVersion: version })
}

function publishes (): Array<{ packet: PublishPacket, version: ProtocolVersion }> {
  const out: Array<{ packet: PublishPacket, version: ProtocolVersion }> = []
  for (const version of VERSIONS) {
    for (const topic of TOPICS) {
      for (const size of PAYLOAD_SIZES) {
        const payload = Buffer.alloc(size, 0x5a)
        for (const qos of [0, 1, 2] as QoS[]) {
          for (const retain of [false, true]) {
            for (const dup of qos === 0 ? [false] : [false, true]) {
              const packet: PublishPacket = qos === 0
                ? { type: 'publish', topic, payload, qos, retain, dup }
                : { type: 'publish', topic, payload, qos, retain, dup, packetId: qos === 1 ? 1 : 65535 }
              out.push({ packet, version })
            }
          }
        }
      }
    }
  }
  return out
}

test('a PUBLISH without properties is encoded byte for byte as mqtt-packet encodes it', t => {
  for (const { packet, version } of publishes()) {
    const fast = encodePublish(packet, version)
    t.true(fast?.equals(oracleEncode(packet, version)), `v${version} q${packet.qos} ${packet.topic.slice(0, 20)} ${packet.payload.length} B`)
  }
})

test('a PUBLISH without properties decodes to the same packet as the general path', t => {
  for (const { packet, version } of publishes()) {
    const bytes = oracleEncode(packet, version)
    const fast = decodePublish(bytes, headerLength(bytes), version)
    const general = fromMqttPacket(oracleDecode(bytes, version), version) as PublishPacket
    t.true(fast?.payload.equals(packet.payload))
    t.true(general.payload.equals(packet.payload))
    // Same fields, in the same order (one hidden class for both paths), payloads aside.
    t.deepEqual(Object.keys(fast ?? {}), Object.keys(general))
    t.deepEqual({ ...fast, payload: undefined }, { ...general, payload: undefined })
    t.deepEqual({ ...fast, payload: undefined }, { ...packet, payload: undefined })
  }
})

test('the fast path takes a v5 PUBLISH with properties, in both directions (more in publish-properties.test.ts)', t => {
  const packet: PublishPacket = { type: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 7, properties: { contentType: 'text/plain' } }
  const bytes = oracleEncode(packet, 5)
  t.deepEqual(encodePublish(packet, 5), bytes)
  t.deepEqual(decodePublish(bytes, headerLength(bytes), 5), fromMqttPacket(oracleDecode(bytes, 5), 5))
  t.deepEqual(encode(packet, 5), bytes)
})

test('acknowledgements without properties are encoded and decoded as by the general path', t => {
  for (const version of VERSIONS) {
    for (const type of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
      const codes = version === 5 ? (type === 'pubrel' || type === 'pubcomp' ? [undefined, 0, 0x92] : [undefined, 0, 0x10, 0x80, 0x87]) : [undefined]
      for (const reasonCode of codes) {
        for (const packetId of [1, 258, 65535]) {
          const packet = (reasonCode === undefined ? { type, packetId } : { type, packetId, reasonCode }) as PublishAckPacket
          const bytes = oracleEncode(packet, version)
          t.deepEqual(encodeAck(packet, version), bytes, `v${version} ${type} ${String(reasonCode)}`)
          t.deepEqual(decodeAck(bytes, 2, bytes[0] as number >> 4, version), fromMqttPacket(oracleDecode(bytes, version), version))
        }
      }
    }
  }
})

test('a v5 acknowledgement with an empty property section decodes on the fast path, one with properties does not', t => {
  t.deepEqual(decodeAck(Buffer.from([0x40, 4, 0, 9, 0x10, 0]), 2, 4, 5), { type: 'puback', packetId: 9, reasonCode: 0x10 })
  const withReason = oracleEncode({ type: 'puback', packetId: 9, reasonCode: 0x80, properties: { reasonString: 'no' } }, 5)
  t.is(decodeAck(withReason, 2, 4, 5), undefined)
  t.is(encodeAck({ type: 'puback', packetId: 9, reasonCode: 0x80, properties: { reasonString: 'no' } }, 5), undefined)
})

test('the decoder still refuses what the general path refuses: a wildcard in a fast-path Topic Name', t => {
  const decoder = new PacketDecoder({ protocolVersion: 4 })
  const bad = oracleEncode({ type: 'publish', topic: 'a/+', payload: Buffer.alloc(1), qos: 0, retain: false, dup: false }, 4)
  const result = decoder.push(bad)
  t.is(result.packets.length, 0)
  t.truthy(result.error)
})

test('routed copies of one message reuse its bytes and patch only the packet id and DUP', t => {
  const templates = new PublishTemplates()
  const payload = Buffer.from('routed payload')
  for (const version of VERSIONS) {
    for (const qos of [1, 2] as const) {
      const first: PublishPacket = { type: 'publish', topic: 'r/t', payload, qos, retain: false, dup: false, packetId: 10 }
      t.deepEqual(encodeRouted(first, version, templates), encode(first, version))
      for (const [packetId, dup] of [[11, false], [65535, true], [1, false]] as const) {
        const copy: PublishPacket = { ...first, packetId, dup }
        t.deepEqual(encodeRouted(copy, version, templates), encode(copy, version), `v${version} q${qos} id ${packetId} dup ${String(dup)}`)
      }
    }
  }
})

test('a QoS 0 routed copy shares the first encoding; any other difference is encoded afresh', t => {
  const templates = new PublishTemplates()
  const payload = Buffer.from('p')
  const base: PublishPacket = { type: 'publish', topic: 'q/0', payload, qos: 0, retain: false, dup: false }
  const a = encodeRouted(base, 4, templates)
  t.is(encodeRouted({ ...base }, 4, templates), a)
  const variants: PublishPacket[] = [
    { ...base, topic: 'q/1' },
    { ...base, retain: true },
    { ...base, payload: Buffer.from('p') },
    { ...base, properties: { contentType: 'c' } }
  ]
  for (const v of variants) t.deepEqual(encodeRouted(v, 5, templates), encode(v, 5))
  t.deepEqual(encodeRouted(base, 5, templates), encode(base, 5))
  t.deepEqual(encodeRouted(base, 4, templates), encode(base, 4))
})

test('a routed copy with an invalid packet id is refused as encode() refuses it', t => {
  const templates = new PublishTemplates()
  const packet: PublishPacket = { type: 'publish', topic: 'r', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 5 }
  encodeRouted(packet, 4, templates)
  t.throws(() => encodeRouted({ ...packet, packetId: 0 }, 4, templates))
  t.throws(() => encodeRouted({ ...packet, packetId: 70_000 }, 4, templates))
})
