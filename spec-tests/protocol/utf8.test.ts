/**
 * UTF-8 string rules, checked on the raw bytes (Node's decoder would hide ill-formed bytes behind
 * U+FFFD) in every string field, and on strings before encoding.
 */
import test from 'ava'
import { MalformedPacketError, QosmosError } from '../../lib/core/errors.js'
import { PacketDecoder } from '../../lib/protocol/decoder.js'
import { encode } from '../../lib/protocol/encoder.js'
import type { ProtocolVersion } from '../../lib/protocol/packets.js'
import { assertRefused, frame, props, rawStr, str } from './helpers.js'

/** Byte sequences that are not well-formed UTF-8 (v3.1.1 1.5.3, v5 1.5.4). */
const ILL_FORMED: ReadonlyArray<[string, string]> = [
  ['a lone continuation byte', '61 80'],
  ['an invalid byte 0xff', '61 ff'],
  ['an overlong encoding of "/"', 'c0 af'],
  ['an encoded surrogate U+D800', 'ed a0 80'],
  ['a truncated 3-byte sequence', 'e2 82'],
  ['a code point above U+10FFFF', 'f4 90 80 80']
]

/** Every string field of each packet type, with `s` (raw hex of the string bytes) placed in it. */
function carriers (s: string, version: ProtocolVersion): ReadonlyArray<[string, Buffer, object]> {
  const v = { protocolVersion: version }
  const level = version === 5 ? '05' : '04'
  const p = version === 5 ? '00' : ''
  return [
    ['PUBLISH Topic Name', frame(0x30, rawStr(s), p, '6869'), v],
    ['CONNECT Client Identifier', frame(0x10, str('MQTT'), level, '02 000a', p, rawStr(s)), {}],
    ['CONNECT Will Topic', frame(0x10, str('MQTT'), level, '06 000a', p, str('c'), p, rawStr(s), '0000'), {}],
    ['CONNECT User Name', frame(0x10, str('MQTT'), level, '82 000a', p, str('c'), rawStr(s)), {}],
    ['SUBSCRIBE Topic Filter', frame(0x82, '0001', p, rawStr(s), '00'), v],
    ['UNSUBSCRIBE Topic Filter', frame(0xa2, '0001', p, rawStr(s)), v]
  ]
}

for (const [version, id, nul] of [[4, 'v3.1.1 [MQTT-1.5.3-1]', 'v3.1.1 [MQTT-1.5.3-2]'], [5, 'v5 [MQTT-1.5.4-1]', 'v5 [MQTT-1.5.4-2]']] as const) {
  test(`${id} ill-formed UTF-8 is malformed in every string field`, t => {
    for (const [what, bytes] of ILL_FORMED) {
      for (const [field, packet, options] of carriers(bytes, version)) {
        const r = new PacketDecoder(options).push(packet)
        t.true(r.error instanceof MalformedPacketError, `${what} in ${field}: ${r.error?.message ?? 'accepted'}`)
        t.is(r.error?.reasonCode, 0x81)
      }
    }
  })

  test(`${nul} a string with U+0000 is malformed in every string field`, t => {
    for (const [field, packet, options] of carriers('61 00 62', version)) {
      const r = new PacketDecoder(options).push(packet)
      t.true(r.error instanceof MalformedPacketError, `${field}: ${r.error?.message ?? 'accepted'}`)
      t.is(r.error?.reasonCode, 0x81)
    }
  })

  test(`${id} the same fields with well-formed UTF-8 (including a genuine U+FFFD) are accepted`, t => {
    for (const [field, packet, options] of carriers('61 c3a9 efbfbd f09f9880', version)) {
      const r = new PacketDecoder(options).push(packet)
      t.is(r.error, undefined, `${field}: ${r.error?.message ?? ''}`)
      t.is(r.packets.length, 1)
    }
  })
}

/** ava's instanceOf wants a concrete constructor; QosmosError is abstract, and every codec error extends it. */
const QOSMOS_ERROR = { instanceOf: QosmosError as unknown as new (...args: never[]) => Error }

test('v5 [MQTT-1.5.4-1] ill-formed UTF-8 in a string property is malformed', t => {
  assertRefused(t, frame(0x40, '0001 00', props('1f' + rawStr('61 ff'))), { protocolVersion: 5 }, MalformedPacketError, 0x81)
  assertRefused(t, frame(0x30, str('t'), props('03' + rawStr('ed a0 80'))), { protocolVersion: 5 }, MalformedPacketError, 0x81)
})

test('v5 [MQTT-1.5.7-1] both strings of a User Property pair obey the UTF-8 rules', t => {
  assertRefused(t, frame(0x30, str('t'), props('26' + rawStr('61 ff') + str('v'))), { protocolVersion: 5 }, MalformedPacketError, 0x81)
  assertRefused(t, frame(0x30, str('t'), props('26' + str('n') + rawStr('61 00'))), { protocolVersion: 5 }, MalformedPacketError, 0x81)
})

test('v5 [MQTT-1.5.4-2] U+0000 in a string property is malformed', t => {
  assertRefused(t, frame(0x20, '00 00', props('12' + rawStr('61 00'))), { protocolVersion: 5 }, MalformedPacketError, 0x81)
})

test('v3.1.1 [MQTT-1.5.3-3] a leading 0xEF 0xBB 0xBF is kept as U+FEFF, never stripped', t => {
  const r = new PacketDecoder({ protocolVersion: 4 }).push(frame(0x30, rawStr('efbbbf 61'), '78'))
  t.like(r.packets[0], { type: 'publish', topic: '\uFEFFa' })
  const back = encode({ type: 'publish', topic: '\uFEFFa', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }, 4)
  t.is(back.toString('hex'), '30070004efbbbf6178')
})

test('v5 [MQTT-1.5.4-3] U+FEFF is kept in topics and properties', t => {
  const r = new PacketDecoder({ protocolVersion: 5 }).push(frame(0x30, rawStr('efbbbf'), props('26' + rawStr('efbbbf') + str('v'))))
  t.like(r.packets[0], { topic: '\uFEFF', properties: { userProperties: [['\uFEFF', 'v']] } })
})

test('v3.1.1 [MQTT-1.5.3-1] v5 [MQTT-1.5.4-1] encoding refuses strings with a lone surrogate', t => {
  const lone = 'a\uD800b'
  const err = t.throws(() => encode({ type: 'publish', topic: lone, payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }, 4))
  t.true(err instanceof QosmosError)
  t.throws(() => encode({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: lone, qos: 0 }] }, 5))
  t.throws(() => encode({ type: 'connect', protocolVersion: 4, protocolName: 'MQTT', clientId: lone, clean: true, keepAlive: 0 }, 4))
  t.throws(() => encode({ type: 'puback', packetId: 1, reasonCode: 0, properties: { reasonString: lone } }, 5))
  t.throws(() => encode({ type: 'puback', packetId: 1, reasonCode: 0, properties: { userProperties: [['k', lone]] } }, 5))
  // A surrogate pair is a well-formed astral character.
  t.notThrows(() => encode({ type: 'publish', topic: 'a\uD83D\uDE00', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }, 4))
})

test('v3.1.1 [MQTT-1.5.3-2] v5 [MQTT-1.5.4-2] encoding refuses strings with U+0000', t => {
  t.throws(() => encode({ type: 'publish', topic: 'a\u0000', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }, 4), QOSMOS_ERROR)
  t.throws(() => encode({ type: 'connect', protocolVersion: 5, protocolName: 'MQTT', clientId: 'c', clean: true, keepAlive: 0, username: 'u\u0000' }, 5), QOSMOS_ERROR)
  t.throws(() => encode({ type: 'disconnect', reasonCode: 0, properties: { reasonString: '\u0000' } }, 5), QOSMOS_ERROR)
})

test('encoding refuses strings longer than 65535 bytes instead of writing a wrong length', t => {
  const long = 'é'.repeat(40_000) // 80000 bytes
  t.throws(() => encode({ type: 'publish', topic: long, payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }, 4), QOSMOS_ERROR)
  t.throws(() => encode({ type: 'connect', protocolVersion: 4, protocolName: 'MQTT', clientId: 'c', clean: true, keepAlive: 0, username: 'u', password: Buffer.alloc(70_000) }, 4), QOSMOS_ERROR)
})
