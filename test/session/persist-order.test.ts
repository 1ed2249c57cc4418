/**
 * ARCHITECTURE rule 4: persist before acknowledging. Store calls, sends and deliveries are
 * recorded in one log, and the tests check the order, not only the final state.
 */
import test from 'ava'
import { Gate, harness, message, publishPacket, type Harness } from './_harness.js'

function attached (): Harness {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.log.length = 0
  return h
}

for (const mode of ['synchronous', 'asynchronous'] as const) {
  const setup = (): { h: Harness, gate: Gate } => {
    const h = attached()
    const gate = new Gate()
    if (mode === 'asynchronous') h.store.gate = gate
    return { h, gate }
  }
  // With the asynchronous store every call waits; its effect is logged as `stored ...` once released.
  const stored = (line: string): string[] => (mode === 'asynchronous' ? [line, line.replace('store ', 'stored ')] : [line])

  test(`${mode} store: QoS 1 outbound: the flow is stored before its PUBLISH leaves; its end is stored on PUBACK`, async t => {
    const { h, gate } = setup()
    h.session.publish(message('a', 1))
    await gate.releaseAll()
    h.session.receive({ type: 'puback', packetId: 1, reasonCode: 0 })
    await gate.releaseAll()
    t.deepEqual(h.log, [...stored('store outboundFlowChanged 1 AwaitingPuback'), 'send publish 1 a', ...stored('store outboundFlowEnded 1')])
  })

  test(`${mode} store: QoS 2 outbound: AwaitingPubrec before PUBLISH, AwaitingPubcomp before PUBREL`, async t => {
    const { h, gate } = setup()
    h.session.publish(message('a', 2))
    await gate.releaseAll()
    h.session.receive({ type: 'pubrec', packetId: 1, reasonCode: 0 })
    await gate.releaseAll()
    h.session.receive({ type: 'pubcomp', packetId: 1, reasonCode: 0 })
    await gate.releaseAll()
    t.deepEqual(h.log, [
      ...stored('store outboundFlowChanged 1 AwaitingPubrec'), 'send publish 1 a',
      ...stored('store outboundFlowChanged 1 AwaitingPubcomp'), 'send pubrel 1',
      ...stored('store outboundFlowEnded 1')
    ])
  })

  test(`${mode} store: QoS 2 inbound: the flow is stored, then delivered, then PUBREC; on PUBREL its end is stored before PUBCOMP`, async t => {
    const { h, gate } = setup()
    h.session.receive(publishPacket('in', 2, 5))
    await gate.releaseAll()
    h.session.receive({ type: 'pubrel', packetId: 5 })
    await gate.releaseAll()
    t.deepEqual(h.log, [...stored('store inboundFlowStarted 5'), 'deliver in', 'send pubrec 5', ...stored('store inboundFlowEnded 5'), 'send pubcomp 5'])
  })

  test(`${mode} store: QoS 1 inbound: delivered before PUBACK, nothing stored`, async t => {
    const { h, gate } = setup()
    h.session.receive(publishPacket('in', 1, 5))
    await gate.releaseAll()
    t.deepEqual(h.log, ['deliver in', 'send puback 5'])
  })
}

test('asynchronous store: while the store has not completed, no acknowledgement has left', async t => {
  const h = attached()
  const gate = new Gate()
  h.store.gate = gate
  h.session.receive(publishPacket('in', 2, 5))
  h.session.publish(message('out', 2))
  t.deepEqual(h.io.lines, [])
  t.deepEqual(h.io.delivered, [])
  await gate.releaseOne()
  t.deepEqual(h.io.lines, ['send pubrec 5'])
  await gate.releaseOne()
  t.deepEqual(h.io.lines, ['send pubrec 5', 'send publish 1 out'])
})

test('asynchronous delivery: the acknowledgement waits for the delivery to complete', async t => {
  const h = attached()
  const gate = new Gate()
  h.io.gate = gate
  h.session.receive(publishPacket('q1', 1, 1))
  h.session.receive(publishPacket('q2', 2, 2))
  t.deepEqual(h.io.lines, [])
  await gate.releaseOne()
  t.deepEqual(h.io.lines, ['send puback 1'])
  await gate.releaseOne()
  t.deepEqual(h.io.lines, ['send puback 1', 'send pubrec 2'])
})

test('a synchronous store and delivery run inline: the acknowledgement has left when receive() returns', t => {
  const h = attached()
  h.session.receive(publishPacket('q2', 2, 2))
  h.session.publish(message('out', 1))
  t.deepEqual(h.io.lines, ['send pubrec 2', 'send publish 1 out'])
})
