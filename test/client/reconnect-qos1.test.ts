/** At-least-once across a cut at every step of the QoS 1 handshake, both ways, v5 and v3.1.1. */
import test from 'ava'
import { publisherCut, subscriberCut } from './_cuts.js'

for (const version of [5, 4] as const) {
  // Up: CONNECT, PUBLISH. Down: CONNACK, PUBACK.
  for (const cut of [{ direction: 'up', drop: 2 }, { direction: 'down', drop: 2 }] as const) {
    test(`v${version} QoS 1 publisher, connection cut instead of ${cut.direction} packet ${cut.drop}: publish resolves after resume, delivered at least once`, async t => {
      const r = await publisherCut(t, version, 1, cut)
      t.true(r.cut)
      t.true(r.connections >= 2)
      t.true(r.delivered.length >= 1)
      t.true(r.delivered.every(p => p === 'the message'))
    })
  }
  // Down: CONNACK, SUBACK, PUBLISH. Up: CONNECT, SUBSCRIBE, PUBACK.
  for (const cut of [{ direction: 'down', drop: 3 }, { direction: 'up', drop: 3 }] as const) {
    test(`v${version} QoS 1 subscriber, connection cut instead of ${cut.direction} packet ${cut.drop}: the broker resends on resume, the application gets it at least once`, async t => {
      const r = await subscriberCut(t, version, 1, cut)
      t.true(r.cut)
      t.true(r.delivered.length >= 1)
      t.true(r.delivered.every(p => p === 'the message'))
      if (cut.direction === 'up') t.deepEqual(r.seen.down, ['connack', 'suback', 'publish'])
    })
  }
}
