/** MQTT 5.0 codec fixtures, every packet type with properties, checked three ways. */
import test from 'ava'
import { FIXTURES_5 } from './fixtures-5.data.js'
import { registerFixtureChecks } from './fixture-checks.js'

registerFixtureChecks('v5', FIXTURES_5)

test('v5 fixtures cover all 15 packet types', t => {
  t.deepEqual(new Set(FIXTURES_5.map(f => f.packet.type)).size, 15)
})
