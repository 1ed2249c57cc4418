/**
 * SessionOptions.independentInbound: received PUBLISH/PUBREL lists run on their own serial
 * runner, so a delivery the application holds (a client acknowledging after processing) never
 * holds back this side's own publications, while each direction keeps its order.
 */
import test from 'ava'
import { Gate, harness, message, publishPacket, settle } from './_harness.js'

test('one runner (default): a held delivery holds back an outbound PUBLISH until it completes', async t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.io.gate = new Gate()
  h.session.receive(publishPacket('in', 1, 9))
  h.session.publish(message('out', 1))
  await settle()
  t.deepEqual(h.io.lines, [])
  await h.io.gate.releaseAll()
  t.deepEqual(h.io.lines, ['send puback 9', 'send publish 1 out'])
})

test('independentInbound: a held delivery does not hold back an outbound PUBLISH, and its PUBACK still waits for it', async t => {
  const h = harness({ independentInbound: true })
  h.session.attach(h.io, { resumed: false })
  h.io.gate = new Gate()
  h.session.receive(publishPacket('in', 1, 9))
  h.session.publish(message('out', 1), h.done('out'))
  await settle()
  t.deepEqual(h.io.lines, ['send publish 1 out'])
  h.session.receive({ type: 'puback', packetId: 1, reasonCode: 0 })
  t.true(h.outcomes.has('out'))
  t.deepEqual(h.io.lines, ['send publish 1 out'])
  await h.io.gate.releaseAll()
  t.deepEqual(h.io.lines, ['send publish 1 out', 'send puback 9'])
})

test('independentInbound: inbound acknowledgements keep arrival order behind a held delivery (QoS 2 then QoS 1)', async t => {
  const h = harness({ independentInbound: true })
  h.session.attach(h.io, { resumed: false })
  h.io.gate = new Gate()
  h.session.receive(publishPacket('a', 2, 5))
  h.session.receive(publishPacket('b', 1, 6))
  await settle()
  t.deepEqual(h.io.lines, [])
  await h.io.gate.releaseOne()
  t.deepEqual(h.io.lines, ['send pubrec 5'])
  await h.io.gate.releaseAll()
  t.deepEqual(h.io.lines, ['send pubrec 5', 'send puback 6'])
  t.deepEqual(h.log.filter(l => l.startsWith('store')), ['store inboundFlowStarted 5'])
})

test('independentInbound: a clean start erases each direction\'s records on its own runner, behind the lists that wrote them', async t => {
  const h = harness({ independentInbound: true })
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('out', 2))
  h.io.gate = new Gate()
  h.session.receive(publishPacket('in', 2, 7))
  await settle()
  h.session.detach()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('again', 1))
  await settle()
  // The outbound record is erased at once, and the new flow is stored after it.
  t.deepEqual(h.log.filter(l => l.startsWith('store')), [
    'store outboundFlowChanged 1 AwaitingPubrec', 'store inboundFlowStarted 7', 'store outboundFlowEnded 1', 'store outboundFlowChanged 2 AwaitingPuback'
  ])
  // The inbound record is erased only once the held delivery's list has ended.
  await h.io.gate.releaseAll()
  t.deepEqual(h.log.filter(l => l.startsWith('store')).slice(4), ['store inboundFlowEnded 7'])
  const restored = await h.store.inner.restoreFlows()
  t.deepEqual(restored.inbound, [])
  t.deepEqual(restored.outbound.map(f => `${f.packetId} ${f.state}`), ['2 AwaitingPuback'])
})
