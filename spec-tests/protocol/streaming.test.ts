/**
 * The decoder is a stream decoder: packets split across chunks at any byte, several packets in
 * one chunk, a byte at a time. The receiver never assumes that packets line up with the chunks
 * (or WebSocket frames) that carry them: v3.1.1 [MQTT-6.0.0-2], v5 [MQTT-6.0.0-2].
 */
import test from 'ava'
import { PacketDecoder } from '../../lib/protocol/decoder.js'
import { MalformedPacketError } from '../../lib/core/errors.js'
import { FIXTURES_311 } from './fixtures-311.data.js'
import { FIXTURES_5 } from './fixtures-5.data.js'
import { decoderFor, hex, pushAll, vbi, type Fixture } from './helpers.js'

function splitAt (bytes: Buffer, ...cuts: number[]): Buffer[] {
  const out: Buffer[] = []
  let from = 0
  for (const c of cuts) { out.push(bytes.subarray(from, c)); from = c }
  out.push(bytes.subarray(from))
  return out
}

/** All fixtures of a version as one stream: the CONNECT first, as a server receives them. */
function stream (fixtures: readonly Fixture[]): { bytes: Buffer, expected: unknown[] } {
  const ordered = [...fixtures.filter(f => f.packet.type === 'connect' && f.version === fixtures[0]?.version), ...fixtures.filter(f => f.packet.type !== 'connect')]
  return { bytes: Buffer.concat(ordered.map(f => f.bytes)), expected: ordered.map(f => f.packet) }
}

for (const [label, fixtures] of [['v3.1.1', FIXTURES_311], ['v5', FIXTURES_5]] as const) {
  test(`${label} [MQTT-6.0.0-2] every fixture split in two at every byte boundary decodes the same`, t => {
    for (const f of fixtures) {
      for (let cut = 0; cut <= f.bytes.length; cut++) {
        const r = pushAll(decoderFor(f), splitAt(f.bytes, cut))
        t.is(r.error, undefined, `${f.title} cut at ${cut}: ${r.error?.message ?? ''}`)
        t.deepEqual(r.packets, [f.packet], `${f.title} cut at ${cut}`)
      }
    }
  })

  test(`${label} [MQTT-6.0.0-2] every fixture split in three at every pair of boundaries decodes the same`, t => {
    for (const f of fixtures) {
      for (let a = 1; a < f.bytes.length; a++) {
        for (let b = a; b < f.bytes.length; b++) {
          const r = pushAll(decoderFor(f), splitAt(f.bytes, a, b))
          if (r.error !== undefined || r.packets.length !== 1) t.fail(`${f.title} cut at ${a},${b}: ${r.error?.message ?? ''}`)
        }
      }
      t.pass()
    }
  })

  test(`${label} [MQTT-6.0.0-2] many packets in one chunk: a CONNECT then every other packet type`, t => {
    const { bytes, expected } = stream(fixtures)
    const r = new PacketDecoder().push(bytes)
    t.is(r.error, undefined, r.error?.message)
    t.deepEqual(r.packets, expected)
  })

  test(`${label} [MQTT-6.0.0-2] the same stream a byte at a time`, t => {
    const { bytes, expected } = stream(fixtures)
    const decoder = new PacketDecoder()
    const chunks = [...bytes].map(b => Buffer.from([b]))
    const r = pushAll(decoder, chunks)
    t.is(r.error, undefined, r.error?.message)
    t.deepEqual(r.packets, expected)
  })

  test(`${label} [MQTT-6.0.0-2] the same stream in chunks of 7 bytes, straddling every header`, t => {
    const { bytes, expected } = stream(fixtures)
    const chunks: Buffer[] = []
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7))
    t.deepEqual(pushAll(new PacketDecoder(), chunks).packets, expected)
  })
}

test('a large PUBLISH arriving in 1000-byte chunks is reassembled', t => {
  const payload = Buffer.alloc(300_000, 0xab)
  const body = Buffer.concat([hex('0001 61'), payload])
  const bytes = Buffer.concat([hex('30', vbi(body.length)), body])
  t.is(body.length, 300_003)
  const decoder = new PacketDecoder({ protocolVersion: 4 })
  const chunks: Buffer[] = []
  for (let i = 0; i < bytes.length; i += 1000) chunks.push(bytes.subarray(i, i + 1000))
  const r = pushAll(decoder, chunks)
  t.is(r.error, undefined)
  t.is(r.packets.length, 1)
  const p = r.packets[0]
  t.true(p?.type === 'publish' && p.payload.equals(payload))
})

test('a PUBLISH inside one chunk is decoded without copying its payload', t => {
  const chunk = hex('30 05 0001 61 6869', 'c0 00')
  const r = new PacketDecoder({ protocolVersion: 4 }).push(chunk)
  const p = r.packets[0]
  t.is(r.packets.length, 2)
  if (p?.type !== 'publish') return t.fail()
  t.is(p.payload.toString(), 'hi')
  t.is(p.payload.buffer, chunk.buffer)
})

test('packets before a malformed one in the same chunk are returned with the error', t => {
  const r = new PacketDecoder({ protocolVersion: 4 }).push(hex('c0 00', 'd0 00', 'c0 01 00'))
  t.deepEqual(r.packets, [{ type: 'pingreq' }, { type: 'pingresp' }])
  t.true(r.error instanceof MalformedPacketError)
})

test('after an error the decoder is dead and returns the same error, whatever comes next', t => {
  const decoder = new PacketDecoder({ protocolVersion: 4 })
  const first = decoder.push(hex('c0 01 00')).error
  t.true(first instanceof MalformedPacketError)
  const again = decoder.push(hex('c0 00'))
  t.deepEqual(again.packets, [])
  t.is(again.error, first)
  t.is(decoder.error, first)
})
