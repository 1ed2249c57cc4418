/**
 * A v5 PUBLISH with properties on the codec's fast path (lib/protocol/publish-properties.ts via
 * fast-codec.ts) must give what the general path gives: the same bytes as `encodeGeneral`
 * (mqtt-packet with the User Properties put back in order) for any key order of the properties
 * object, and the same packet, key order included, as mqtt-packet's parser through codec-decode
 * for any wire order of the properties. mqtt-packet is the oracle.
 */
import test from 'ava'
import fc from 'fast-check'
import { fromMqttPacket } from '../../lib/protocol/codec.js'
import { encode, encodeGeneral, encodeRouted } from '../../lib/protocol/encoder.js'
import { decodePublish, encodePublish, PublishTemplates } from '../../lib/protocol/fast-codec.js'
import { PacketDecoder } from '../../lib/protocol/decoder.js'
import { vbiSize, writeVariableByteInteger } from '../../lib/protocol/frame.js'
import { BodyScan, scanBody } from '../../lib/protocol/scan.js'
import { validatePacket } from '../../lib/protocol/validate.js'
import type { Packet, PublishPacket, PublishProperties, QoS } from '../../lib/protocol/packets.js'
import { headerLength, oracleDecode } from './_oracle.js'

/** The general decode path, as decoder.ts runs it: raw walk for ordered User Properties, mqtt-packet, codec-decode. */
function generalDecode (bytes: Buffer): Packet {
  const s = new BodyScan()
  const e = scanBody(bytes, headerLength(bytes), (bytes[0] as number) >> 4, (bytes[0] as number) & 0x0f, 5, s)
  if (e !== undefined) throw e
  return fromMqttPacket(oracleDecode(bytes, 5), 5, { main: s.props.pairs, will: undefined })
}

function fastDecode (bytes: Buffer): Packet {
  const result = new PacketDecoder({ protocolVersion: 5 }).push(bytes)
  if (result.error !== undefined) throw result.error
  if (result.packets.length !== 1) throw new Error(`decoded ${result.packets.length} packets`)
  return result.packets[0] as Packet
}

/** Keys of the packet and of its properties, in order: the shape a consumer (and a re-encoding) sees. */
function shape (packet: Packet): string[] {
  const props = 'properties' in packet && packet.properties !== undefined ? Object.keys(packet.properties).map(k => `properties.${k}`) : []
  return [...Object.keys(packet), ...props]
}

// Strings the UTF-8 rules allow (v5 [MQTT-1.5.4-1], [MQTT-1.5.4-2]): any well-formed text without U+0000.
const text = (maxLength = 12): fc.Arbitrary<string> => fc.string({ unit: 'grapheme', maxLength }).map(s => s.replaceAll('\u0000', ''))
const pairName = fc.oneof(fc.constantFrom('k', 'k', 'dup', '', '__proto__'), text(6))
const pairArb = fc.tuple(pairName, text()).map(([n, v]) => [n, v] as const)
const topicName = fc.oneof(fc.constantFrom('a', 'a/b/c', 'é/😀'), text(20)).map(s => s.replace(/[+#]/g, '_')).filter(s => s.length > 0)
const subscriptionId = fc.oneof(fc.integer({ min: 1, max: 127 }), fc.integer({ min: 128, max: 268_435_455 }))

/** Every PUBLISH property, each maybe absent, maybe present as undefined, in a random key order. */
const propertiesArb: fc.Arbitrary<PublishProperties> = fc.record({
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: fc.oneof(fc.constantFrom(0, 60, 0xffff_ffff), fc.nat()),
  topicAlias: fc.integer({ min: 1, max: 0xffff }),
  contentType: text(),
  responseTopic: topicName,
  correlationData: fc.uint8Array({ maxLength: 40 }).map(a => Buffer.from(a)),
  subscriptionIdentifiers: fc.array(subscriptionId, { maxLength: 3 }),
  userProperties: fc.array(pairArb, { maxLength: 5 })
}).chain(all => fc.tuple(fc.shuffledSubarray(Object.keys(all)), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 })).map(([keys, undef]) => {
  const out: Record<string, unknown> = {}
  keys.forEach((key, i) => { out[key] = undef[i] === true && i % 3 === 0 ? undefined : all[key as keyof typeof all] })
  return out as PublishProperties
}))

const publishArb: fc.Arbitrary<PublishPacket> = fc.record({
  topic: topicName,
  qos: fc.constantFrom<QoS>(0, 1, 2),
  retain: fc.boolean(),
  dup: fc.boolean(),
  packetId: fc.integer({ min: 1, max: 0xffff }),
  payload: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constant(new Uint8Array(20_000))).map(a => Buffer.from(a)),
  properties: propertiesArb
}).map(({ topic, qos, retain, dup, packetId, payload, properties }) => qos === 0
  ? { type: 'publish', topic, payload, qos, retain, dup: false, properties }
  : { type: 'publish', topic, payload, qos, retain, dup, packetId, properties })

test('v5 [MQTT-3.3.2-18] a PUBLISH with properties is encoded on the fast path byte for byte as the general path, in any key order', t => {
  let checked = 0
  fc.assert(fc.property(publishArb, packet => {
    if (validatePacket(packet, 5, 'encode') !== undefined) return true // not this test's subject
    checked++
    const fast = encodePublish(packet, 5)
    const general = encodeGeneral(packet, 5)
    if (fast === undefined || !fast.equals(general)) return false
    // mqtt-packet parses it back to the same message (its own parser, the general decode path).
    const back = generalDecode(fast) as PublishPacket
    return back.topic === packet.topic && back.payload.equals(packet.payload) && back.qos === packet.qos
  }), { numRuns: 600 })
  // The generator makes valid packets; a few invalid ones must not hollow the test out.
  t.true(checked > 500, `${checked} of 600 valid`)
})

test('levels 3 and 4 drop the properties on the fast path as the general path does', t => {
  const packet: PublishPacket = { type: 'publish', topic: 't', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId: 7, properties: { contentType: 'text/plain', userProperties: [['a', 'b']] } }
  for (const version of [3, 4] as const) t.deepEqual(encodePublish(packet, version), encodeGeneral(packet, version))
})

test('table: property sections the general path and the fast path must agree on', t => {
  const base = { type: 'publish', topic: 't/1', payload: Buffer.from('payload'), retain: false, dup: false } as const
  const cases: Array<[string, PublishProperties]> = [
    ['empty object (Property Length 0)', {}],
    // Deliberately outside the type (exactOptionalPropertyTypes): keys present with the value undefined, as a caller's JS may pass.
    ['only undefined values', { contentType: undefined, topicAlias: undefined } as unknown as PublishProperties],
    ['empty arrays are left out', { subscriptionIdentifiers: [], userProperties: [] }],
    ['Payload Format Indicator false is written as 0', { payloadFormatIndicator: false }],
    ['one Subscription Identifier', { subscriptionIdentifiers: [268_435_455] }],
    ['several Subscription Identifiers, one property each', { subscriptionIdentifiers: [1, 128, 16_384, 2_097_152] }],
    ['User Properties with repeated names keep their order', { userProperties: [['a', '1'], ['b', '2'], ['a', '3'], ['', ''], ['a', '']] }],
    ['User Properties first in the object are still written last', { userProperties: [['x', 'y']], contentType: 'c', topicAlias: 9 }],
    ['every property, in the spec order', {
      payloadFormatIndicator: true,
      messageExpiryInterval: 0xffff_ffff,
      topicAlias: 0xffff,
      responseTopic: 'reply/to',
      correlationData: Buffer.from([0, 1, 2]),
      userProperties: [['k', 'v'], ['k', 'w']],
      subscriptionIdentifiers: [5, 6],
      contentType: 'application/json'
    }],
    ['an empty Content Type and Correlation Data', { contentType: '', correlationData: Buffer.alloc(0) }],
    ['long strings (2-byte lengths above 255)', { contentType: 'é'.repeat(400), userProperties: [['n'.repeat(300), 'v'.repeat(70)]] }]
  ]
  for (const [title, properties] of cases) {
    for (const qos of [0, 1] as const) {
      const packet: PublishPacket = qos === 0 ? { ...base, qos, properties } : { ...base, qos, packetId: 300, properties }
      const bytes = encode(packet, 5)
      t.deepEqual(encodePublish(packet, 5), bytes, title)
      t.deepEqual(encodeGeneral(packet, 5), bytes, title)
      const decoded = fastDecode(bytes)
      t.deepEqual(decoded, generalDecode(bytes), title)
      t.deepEqual(shape(decoded), shape(generalDecode(bytes)), title)
    }
  }
})

test('a properties key that is not a PUBLISH property is left to the general path and its errors', t => {
  const packet = { type: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false, properties: { subscriptionIdentifier: 5 } } as unknown as PublishPacket
  t.is(encodePublish(packet, 5), undefined)
  const inherited = Object.create({ contentType: 'inherited' }) as PublishProperties
  const withProto: PublishPacket = { type: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false, properties: inherited }
  t.is(encodePublish(withProto, 5), undefined)
  t.deepEqual(encode(withProto, 5), encodeGeneral(withProto, 5))
})

/** One property as it appears on the wire: identifier and its encoded value. */
type WireProperty = readonly [number, Buffer]

const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }
const str = (s: string): Buffer => Buffer.concat([u16(Buffer.byteLength(s)), Buffer.from(s)])
const vbi = (n: number): Buffer => { const b = Buffer.alloc(vbiSize(n)); writeVariableByteInteger(b, 0, n); return b }

/** Non-repeatable properties once at most, Subscription Identifiers and User Properties any number of times, in any order. */
const wireArb: fc.Arbitrary<WireProperty[]> = fc.tuple(
  fc.record({
    pfi: fc.option(fc.boolean(), { nil: undefined }),
    mei: fc.option(fc.nat(), { nil: undefined }),
    ct: fc.option(text(), { nil: undefined }),
    rt: fc.option(topicName, { nil: undefined }),
    cd: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: undefined }),
    ta: fc.option(fc.integer({ min: 1, max: 0xffff }), { nil: undefined })
  }),
  fc.array(subscriptionId, { maxLength: 3 }),
  fc.array(pairArb, { maxLength: 4 })
).chain(([once, ids, pairs]) => {
  const list: WireProperty[] = []
  if (once.pfi !== undefined) list.push([0x01, Buffer.from([once.pfi ? 1 : 0])])
  if (once.mei !== undefined) { const b = Buffer.alloc(4); b.writeUInt32BE(once.mei); list.push([0x02, b]) }
  if (once.ct !== undefined) list.push([0x03, str(once.ct)])
  if (once.rt !== undefined) list.push([0x08, str(once.rt)])
  if (once.cd !== undefined) list.push([0x09, Buffer.concat([u16(once.cd.length), once.cd])])
  if (once.ta !== undefined) list.push([0x23, u16(once.ta)])
  for (const id of ids) list.push([0x0b, vbi(id)])
  for (const [n, v] of pairs) list.push([0x26, Buffer.concat([str(n), str(v)])])
  return fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })
})

function publishBytes (topic: string, qos: QoS, props: readonly WireProperty[], payload: Buffer): Buffer {
  const section = Buffer.concat(props.flatMap(([id, value]) => [Buffer.from([id]), value]))
  const body = Buffer.concat([str(topic), qos > 0 ? u16(42) : Buffer.alloc(0), vbi(section.length), section, payload])
  return Buffer.concat([Buffer.from([0x30 | (qos << 1)]), vbi(body.length), body])
}

test('v5 [MQTT-3.3.2-18] a PUBLISH with properties in any wire order decodes on the fast path to the general path\'s packet, key order included', t => {
  fc.assert(fc.property(topicName, fc.constantFrom<QoS>(0, 1, 2), wireArb, fc.uint8Array({ maxLength: 30 }), (topic, qos, props, payload) => {
    const bytes = publishBytes(topic, qos, props, Buffer.from(payload))
    const fast = fastDecode(bytes)
    const general = generalDecode(bytes)
    t.deepEqual(fast, general)
    t.deepEqual(shape(fast), shape(general))
    // And the direct call agrees with the decoder (the decoder takes this path).
    t.deepEqual(decodePublish(bytes, headerLength(bytes), 5), general)
  }), { numRuns: 400 })
})

test('v5 3.3.2.3.8 a Subscription Identifier of 0 is refused wherever it stands among several', t => {
  // mqtt-packet's parser lets a later repeat overwrite a first value of 0 (the general path then
  // saw [5] and accepted the packet); the fast path keeps every identifier and validation refuses it.
  for (const ids of [[0], [0, 5], [5, 0]]) {
    const bytes = publishBytes('t', 1, ids.map(id => [0x0b, vbi(id)] as const), Buffer.alloc(0))
    const result = new PacketDecoder({ protocolVersion: 5 }).push(bytes)
    t.is(result.packets.length, 0, JSON.stringify(ids))
    t.regex(result.error?.message ?? '', /Subscription Identifier 0/)
  }
})

test('the decoder still refuses what the raw walk refuses in a PUBLISH property section', t => {
  const bad: Array<[string, WireProperty[]]> = [
    ['Topic Alias twice (v5 3.3.2.3.4)', [[0x23, u16(1)], [0x23, u16(2)]]],
    ['Payload Format Indicator 2', [[0x01, Buffer.from([2])]]],
    ['a property not allowed in PUBLISH (Session Expiry Interval), v5 2.2.2.2', [[0x11, Buffer.alloc(4)]]],
    ['Topic Alias 0, v5 [MQTT-3.3.2-8]', [[0x23, u16(0)]]]
  ]
  for (const [title, props] of bad) {
    const result = new PacketDecoder({ protocolVersion: 5 }).push(publishBytes('t', 0, props, Buffer.alloc(0)))
    t.is(result.packets.length, 0, title)
    t.truthy(result.error, title)
  }
})

test('routed copies of a PUBLISH with properties patch only the packet id and DUP', t => {
  const templates = new PublishTemplates()
  const properties: PublishProperties = { messageExpiryInterval: 30, userProperties: [['a', 'b']], subscriptionIdentifiers: [3] }
  const first: PublishPacket = { type: 'publish', topic: 'r/t', payload: Buffer.from('m'), qos: 1, retain: false, dup: false, packetId: 10, properties }
  t.deepEqual(encodeRouted(first, 5, templates), encodeGeneral(first, 5))
  for (const [packetId, dup] of [[11, false], [65535, true]] as const) {
    const copy: PublishPacket = { ...first, packetId, dup }
    t.deepEqual(encodeRouted(copy, 5, templates), encodeGeneral(copy, 5))
  }
})
