import test from 'ava'
import { startBroker } from '../_harness/broker.js'

test('v3.1.1 [MQTT-3.2.0-1] v5 [MQTT-3.2.0-1] the first packet the server sends is CONNACK', async t => {
  const b = await startBroker()
  try {
    for (const v of [4, 5] as const) {
      const c = await b.client(v)
      const ack = await c.connect()
      t.is(ack.reasonCode, 0)
      t.false(ack.sessionPresent)
    }
  } finally { await b.close() }
})
