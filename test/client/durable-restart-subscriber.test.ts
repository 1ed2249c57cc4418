/** Restart tests, subscriber side: see _durable.ts. */
import test from 'ava'
import { killedAt } from './_durable.js'

// Down: CONNACK, SUBACK, PUBLISH, PUBREL. Up: CONNECT, SUBSCRIBE, PUBREC, PUBCOMP.
for (const cut of [{ direction: 'up', drop: 3 }, { direction: 'down', drop: 4 }] as const) {
  test(`durable store: a subscriber killed instead of ${cut.direction} packet ${cut.drop} of QoS 2 never hands the message to the application twice`, async t => {
    const r = await killedAt(t, cut, 'subscribe')
    t.deepEqual(r.log, ['the message', 'marker'])
  })
}
