/** Exactly-once across a cut at every step of the QoS 2 handshake, both ways, v5 and v3.1.1. */
import test from 'ava'
import { publisherCut, subscriberCut } from './_cuts.js'

for (const version of [5, 4] as const) {
  // Up: CONNECT, PUBLISH, PUBREL. Down: CONNACK, PUBREC, PUBCOMP.
  for (const cut of [{ direction: 'up', drop: 2 }, { direction: 'up', drop: 3 }, { direction: 'down', drop: 2 }, { direction: 'down', drop: 3 }] as const) {
    test(`v${version} QoS 2 publisher, connection cut instead of ${cut.direction} packet ${cut.drop}: publish resolves after resume, delivered exactly once`, async t => {
      const r = await publisherCut(t, version, 2, cut)
      t.true(r.cut)
      t.deepEqual(r.delivered, ['the message'])
    })
  }
  // Down: CONNACK, SUBACK, PUBLISH, PUBREL. Up: CONNECT, SUBSCRIBE, PUBREC, PUBCOMP.
  for (const cut of [{ direction: 'down', drop: 3 }, { direction: 'down', drop: 4 }, { direction: 'up', drop: 3 }, { direction: 'up', drop: 4 }] as const) {
    test(`v${version} QoS 2 subscriber, connection cut instead of ${cut.direction} packet ${cut.drop}: the application gets the message exactly once`, async t => {
      const r = await subscriberCut(t, version, 2, cut)
      t.true(r.cut)
      t.deepEqual(r.delivered, ['the message'])
    })
    test(`v${version} QoS 2 subscriber acknowledging after processing, cut instead of ${cut.direction} packet ${cut.drop}: exactly once to the application`, async t => {
      const r = await subscriberCut(t, version, 2, cut, { acknowledge: 'after-processing' })
      t.true(r.cut)
      t.deepEqual(r.delivered, ['the message'])
    })
  }
}
