/**
 * Our own framing: fixed-header flags, packet types, the Remaining Length and the Maximum Packet
 * Size are checked as the header arrives, before any of the body is buffered.
 */
import test from 'ava'
import { MalformedPacketError, PacketTooLargeError, ProtocolViolationError, UnsupportedProtocolVersionError } from '../../lib/core/errors.js'
import { PacketDecoder } from '../../lib/protocol/decoder.js'
import type { ProtocolVersion } from '../../lib/protocol/packets.js'
import { assertRefused, frame, hex, str } from './helpers.js'

const V4 = { protocolVersion: 4 } as const
const V5 = { protocolVersion: 5 } as const

/** Packets whose reserved flags we break, with the statement IDs for that packet type. */
const BAD_FLAGS: ReadonlyArray<[string, string, ProtocolVersion]> = [
  ['v3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2] [MQTT-3.6.1-1] PUBREL flags other than 0010', '60 02 0001', 4],
  ['v3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2] [MQTT-3.8.1-1] SUBSCRIBE flags other than 0010', '80 06 0001 0001 61 00', 4],
  ['v3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2] [MQTT-3.10.1-1] UNSUBSCRIBE flags other than 0010', 'a3 05 0001 0001 61', 4],
  ['v3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2] [MQTT-3.14.1-1] DISCONNECT flags other than 0000', 'e8 00', 4],
  ['v3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2] PUBACK flags other than 0000', '42 02 0001', 4],
  ['v3.1.1 [MQTT-2.2.2-1] [MQTT-2.2.2-2] PINGREQ flags other than 0000', 'c1 00', 4],
  ['v5 [MQTT-2.1.3-1] [MQTT-3.6.1-1] PUBREL flags other than 0010', '6a 02 0001', 5],
  ['v5 [MQTT-2.1.3-1] [MQTT-3.8.1-1] SUBSCRIBE flags other than 0010', '81 07 0001 00 0001 61 00', 5],
  ['v5 [MQTT-2.1.3-1] [MQTT-3.10.1-1] UNSUBSCRIBE flags other than 0010', 'a0 06 0001 00 0001 61', 5],
  ['v5 [MQTT-2.1.3-1] [MQTT-3.14.1-1] DISCONNECT flags other than 0000', 'e2 00', 5],
  ['v5 [MQTT-2.1.3-1] [MQTT-3.15.1-1] AUTH flags other than 0000', 'f4 00', 5],
  ['v5 [MQTT-2.1.3-1] CONNACK flags other than 0000', '21 03 00 00 00', 5]
]

for (const [title, bytes, version] of BAD_FLAGS) {
  test(`${title} are malformed, refused on the first byte`, t => {
    assertRefused(t, hex(bytes), { protocolVersion: version }, MalformedPacketError, 0x81)
    // The first byte alone is enough: nothing after it is waited for or buffered.
    const firstByteOnly = new PacketDecoder({ protocolVersion: version }).push(hex(bytes).subarray(0, 1))
    t.true(firstByteOnly.error instanceof MalformedPacketError)
  })
}

test('v3.1.1 [MQTT-2.2.2-2] CONNECT with flags other than 0000 is malformed', t => {
  assertRefused(t, frame(0x11, str('MQTT'), '04 02 000a', str('c')), {}, MalformedPacketError, 0x81)
})

test('v3.1.1 [MQTT-3.3.1-4] PUBLISH with QoS 3 is malformed, refused on the first byte', t => {
  assertRefused(t, hex('36 07 0001 61 0001 6869'), V4, MalformedPacketError, 0x81)
  t.true(new PacketDecoder(V4).push(hex('36')).error instanceof MalformedPacketError)
})

test('v5 [MQTT-3.3.1-4] PUBLISH with QoS 3 is malformed, refused on the first byte', t => {
  assertRefused(t, hex('3e 06 0001 61 0001 00'), V5, MalformedPacketError, 0x81)
  t.true(new PacketDecoder(V5).push(hex('37')).error instanceof MalformedPacketError)
})

test('packet type 0 is reserved and malformed at every level', t => {
  for (const protocolVersion of [3, 4, 5] as const) assertRefused(t, hex('00 00'), { protocolVersion }, MalformedPacketError, 0x81)
})

test('packet type 15 is reserved (malformed) before v5, and AUTH in v5', t => {
  assertRefused(t, hex('f0 00'), V4, MalformedPacketError, 0x81)
  assertRefused(t, hex('f0 00'), { protocolVersion: 3 }, MalformedPacketError, 0x81)
  t.deepEqual(new PacketDecoder(V5).push(hex('f0 00')).packets, [{ type: 'auth', reasonCode: 0 }])
})

test('a Remaining Length of 5 bytes is malformed', t => {
  assertRefused(t, hex('30 ff ff ff ff 01'), V4, MalformedPacketError, 0x81)
  // Refused at the 5th length byte, without waiting for a body.
  t.true(new PacketDecoder(V5).push(hex('30 80 80 80 80')).error instanceof MalformedPacketError)
})

test('v5 [MQTT-1.5.5-1] a Remaining Length not in its shortest form is malformed', t => {
  assertRefused(t, hex('c0 80 00'), V5, MalformedPacketError, 0x81)
  assertRefused(t, hex('d0 80 80 00'), V5, MalformedPacketError, 0x81)
})

test('the largest Remaining Length (4 bytes, 268435455) is framed and refused only by size', t => {
  const r = new PacketDecoder({ protocolVersion: 4, maxPacketSize: 1000 }).push(hex('30 ff ff ff 7f'))
  t.true(r.error instanceof PacketTooLargeError)
  t.is((r.error as PacketTooLargeError).size, 268_435_455 + 5)
})

test('a packet larger than maxPacketSize is refused with 0x95 as soon as its header is complete', t => {
  const decoder = new PacketDecoder({ protocolVersion: 5, maxPacketSize: 100 })
  // PUBLISH with Remaining Length 1000 (e8 07): only the 3 header bytes are pushed.
  const r = decoder.push(hex('30 e8 07'))
  t.deepEqual(r.packets, [])
  t.true(r.error instanceof PacketTooLargeError)
  t.is(r.error?.reasonCode, 0x95)
  t.is((r.error as PacketTooLargeError).size, 1003)
  t.is((r.error as PacketTooLargeError).limit, 100)
})

test('the header of an oversized packet split over chunks is refused when its last length byte arrives', t => {
  const decoder = new PacketDecoder({ protocolVersion: 4, maxPacketSize: 100 })
  t.is(decoder.push(hex('30')).error, undefined)
  t.is(decoder.push(hex('e8')).error, undefined)
  t.true(decoder.push(hex('07')).error instanceof PacketTooLargeError)
})

test('maxPacketSize counts the whole packet: exactly at the limit passes, one byte more fails', t => {
  const atLimit = hex('30 08 0001 61 68656c6c6f') // 10 bytes
  t.is(new PacketDecoder({ protocolVersion: 4, maxPacketSize: 10 }).push(atLimit).error, undefined)
  assertRefused(t, atLimit, { protocolVersion: 4, maxPacketSize: 9 }, PacketTooLargeError, 0x95)
})

test('v3.1.1 [MQTT-3.1.0-1] a first packet other than CONNECT is a protocol violation', t => {
  assertRefused(t, hex('c0 00'), {}, ProtocolViolationError, 0x82)
  assertRefused(t, hex('30 05 0001 61 6869'), {}, ProtocolViolationError, 0x82)
})

test('v5 [MQTT-3.1.0-1] a first packet other than CONNECT is a protocol error, refused on its first byte', t => {
  assertRefused(t, hex('82 06 0001 00 0001 61 00'), {}, ProtocolViolationError, 0x82)
  t.true(new PacketDecoder().push(hex('f0')).error instanceof ProtocolViolationError)
})

test('the first CONNECT sets the level of the following packets', t => {
  const decoder = new PacketDecoder()
  const connect = frame(0x10, str('MQTT'), '05 02 000a', '00', str('c'))
  // A v5 PUBACK with a reason code: only decodable as v5.
  const r = decoder.push(Buffer.concat([connect, hex('40 03 0001 10')]))
  t.is(r.error, undefined, r.error?.message)
  t.is(decoder.protocolVersion, 5)
  t.deepEqual(r.packets[1], { type: 'puback', packetId: 1, reasonCode: 0x10 })
  // The same PUBACK at level 4 has a byte too many.
  const v4 = new PacketDecoder()
  v4.push(frame(0x10, str('MQTT'), '04 02 000a', str('c')))
  t.true(v4.push(hex('40 03 0001 10')).error instanceof MalformedPacketError)
})

test('setProtocolVersion sets the level of a client decoder', t => {
  const decoder = new PacketDecoder()
  decoder.setProtocolVersion(5)
  t.deepEqual(decoder.push(hex('40 03 0001 10')).packets, [{ type: 'puback', packetId: 1, reasonCode: 0x10 }])
})

test('a second CONNECT is decoded: refusing it is the broker\'s job, not the codec\'s', t => {
  const connect = frame(0x10, str('MQTT'), '04 02 000a', str('c'))
  const r = new PacketDecoder().push(Buffer.concat([connect, connect]))
  t.is(r.error, undefined)
  t.is(r.packets.length, 2)
})

test('v3.1.1 [MQTT-3.1.2-2] an unsupported protocol level is reported as 0x84 with the level', t => {
  const r = new PacketDecoder().push(frame(0x10, str('MQTT'), '06 02 000a', str('c')))
  t.true(r.error instanceof UnsupportedProtocolVersionError)
  t.is(r.error?.reasonCode, 0x84)
  t.is((r.error as UnsupportedProtocolVersionError).protocolLevel, 6)
})

test('v5 [MQTT-3.1.2-1] v3.1.1 [MQTT-3.1.2-1] a wrong protocol name, or a name that does not go with the level, is 0x84', t => {
  assertRefused(t, frame(0x10, str('MQTX'), '04 02 000a', str('c')), {}, UnsupportedProtocolVersionError, 0x84)
  assertRefused(t, frame(0x10, str('MQIsdp'), '04 02 000a', str('c')), {}, UnsupportedProtocolVersionError, 0x84)
  assertRefused(t, frame(0x10, str('MQTT'), '03 02 000a', str('c')), {}, UnsupportedProtocolVersionError, 0x84)
})

test('a bridge CONNECT (level 0x84) is decoded at level 4 with bridgeMode', t => {
  const r = new PacketDecoder().push(frame(0x10, str('MQTT'), '84 02 000a', str('b')))
  t.is(r.error, undefined)
  t.like(r.packets[0], { type: 'connect', protocolVersion: 4, bridgeMode: true })
})

test('fixed-size packets with bytes beyond their layout are malformed', t => {
  assertRefused(t, hex('c0 01 00'), V4, MalformedPacketError, 0x81)
  assertRefused(t, hex('d0 01 00'), V5, MalformedPacketError, 0x81)
  assertRefused(t, hex('40 03 0001 00'), V4, MalformedPacketError, 0x81)
  assertRefused(t, hex('b0 03 0001 00'), V4, MalformedPacketError, 0x81)
  assertRefused(t, hex('e0 01 00'), V4, MalformedPacketError, 0x81)
  assertRefused(t, hex('20 03 00 00 00'), V4, MalformedPacketError, 0x81)
  assertRefused(t, frame(0x10, str('MQTT'), '04 02 000a', str('c'), '00'), {}, MalformedPacketError, 0x81)
})

test('packets shorter than their layout are malformed', t => {
  assertRefused(t, hex('40 01 00'), V4, MalformedPacketError, 0x81)
  assertRefused(t, hex('20 01 00'), V5, MalformedPacketError, 0x81)
  assertRefused(t, hex('32 04 0001 61 00'), V4, MalformedPacketError, 0x81)
  assertRefused(t, hex('30 03 0005 61'), V4, MalformedPacketError, 0x81)
  assertRefused(t, frame(0x10, str('MQTT'), '04 c2 000a', str('c'), str('u')), {}, MalformedPacketError, 0x81)
})
