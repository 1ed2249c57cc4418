import test from 'ava'
import { Gate, harness, message, publishPacket } from '../../test/session/_harness.js'

const acks = (lines: string[]): string[] => lines.filter(line => /^send pub(ack|rec|rel|comp)/.test(line))

test('v5 [MQTT-4.6.0-2] v3.1.1 [MQTT-4.6.0-2]: PUBACKs go out in the order the QoS 1 PUBLISHes arrived, even when the first delivery is slow', async t => {
  const h = harness()
  const gate = new Gate()
  h.io.gate = gate
  h.session.attach(h.io, { resumed: false })
  h.log.length = 0
  h.session.receive(publishPacket('a', 1, 30))
  h.session.receive(publishPacket('b', 1, 10))
  h.session.receive(publishPacket('c', 1, 20))
  // The later deliveries have not even started: nothing can overtake the first.
  t.deepEqual(h.io.delivered.map(d => d.message.topic), ['a'])
  t.deepEqual(acks(h.io.lines), [])
  await gate.releaseAll()
  t.deepEqual(acks(h.io.lines), ['send puback 30', 'send puback 10', 'send puback 20'])
  t.deepEqual(h.log, ['deliver a', 'send puback 30', 'deliver b', 'send puback 10', 'deliver c', 'send puback 20'])
})

test('v5 [MQTT-4.6.0-3] v3.1.1 [MQTT-4.6.0-3]: PUBRECs go out in the order the QoS 2 PUBLISHes arrived, with an asynchronous store', async t => {
  const h = harness()
  const gate = new Gate()
  h.session.attach(h.io, { resumed: false })
  h.store.gate = gate
  h.session.receive(publishPacket('a', 2, 3))
  h.session.receive(publishPacket('b', 2, 1))
  h.session.receive(publishPacket('c', 1, 2))
  h.session.receive(publishPacket('d', 2, 2))
  // The three flows' writes are issued together (one commit for a store that batches per
  // turn); the acknowledgements still leave one by one, in arrival order.
  t.is(h.store.inFlight, 3)
  await gate.releaseAll()
  t.deepEqual(acks(h.io.lines), ['send pubrec 3', 'send pubrec 1', 'send puback 2', 'send pubrec 2'])
  t.is(h.store.maxInFlight, 3)
})

test('v5 [MQTT-4.6.0-4] v3.1.1 [MQTT-4.6.0-4]: PUBRELs go out in the order the PUBRECs arrived, with an asynchronous store', async t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  for (const topic of ['a', 'b', 'c']) h.session.publish(message(topic, 2))
  const gate = new Gate()
  h.store.gate = gate
  h.session.receive({ type: 'pubrec', packetId: 3, reasonCode: 0 })
  h.session.receive({ type: 'pubrec', packetId: 1, reasonCode: 0 })
  h.session.receive({ type: 'pubrec', packetId: 2, reasonCode: 0 })
  await gate.releaseAll()
  t.deepEqual(acks(h.io.lines), ['send pubrel 3', 'send pubrel 1', 'send pubrel 2'])
})

test('v5 [MQTT-4.3.3-10] v3.1.1 [MQTT-4.3.3-2]: a duplicate QoS 2 PUBLISH arriving while the first is being stored is delivered once, and its PUBREC follows the first', async t => {
  const h = harness()
  const gate = new Gate()
  h.session.attach(h.io, { resumed: false })
  h.log.length = 0
  h.store.gate = gate
  h.session.receive(publishPacket('x', 2, 7))
  h.session.receive(publishPacket('x', 2, 7, true))
  h.session.receive(publishPacket('x', 2, 7, true))
  t.deepEqual(h.io.lines, [])
  await gate.releaseAll()
  t.deepEqual(h.io.delivered.map(d => d.message.topic), ['x'])
  t.deepEqual(h.log, ['store inboundFlowStarted 7', 'stored inboundFlowStarted 7', 'deliver x', 'send pubrec 7', 'send pubrec 7', 'send pubrec 7'])
})
