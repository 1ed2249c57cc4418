/** The three checks every codec fixture goes through: parse, generate, round trip. */
import test from 'ava'
import { encode } from '../../lib/protocol/encoder.js'
import { decoderFor, type Fixture } from './helpers.js'

export function registerFixtureChecks (label: string, fixtures: readonly Fixture[]): void {
  for (const f of fixtures) {
    test(`${label} ${f.title}: parse`, t => {
      const r = decoderFor(f).push(f.bytes)
      t.is(r.error, undefined, r.error?.message)
      t.deepEqual(r.packets, [f.packet])
    })

    test(`${label} ${f.title}: generate`, t => {
      t.is(encode(f.packet, f.version).toString('hex'), f.bytes.toString('hex'))
    })

    test(`${label} ${f.title}: round trip`, t => {
      const decoded = decoderFor(f).push(encode(f.packet, f.version))
      t.is(decoded.error, undefined, decoded.error?.message)
      t.deepEqual(decoded.packets, [f.packet])
      const [again] = decoderFor(f).push(f.bytes).packets
      t.not(again, undefined)
      if (again !== undefined) t.is(encode(again, f.version).toString('hex'), f.bytes.toString('hex'))
    })
  }
}
