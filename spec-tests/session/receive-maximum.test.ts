import test from 'ava'
import { InvalidArgumentError, ReceiveMaximumExceededError } from '../../lib/core/errors.js'
import { Gate, FakeIo, harness, publishPacket } from '../../test/session/_harness.js'

test('v5 3.3.4 (receiver side of [MQTT-3.3.4-7] [MQTT-3.3.4-9]): one QoS 1/2 PUBLISH beyond our Receive Maximum is a protocol error, reason 0x93', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false, receiveMaximum: 2 })
  h.session.receive(publishPacket('a', 2, 1))
  h.session.receive(publishPacket('b', 2, 2))
  const error = t.throws(() => { h.session.receive(publishPacket('c', 1, 3)) }, { instanceOf: ReceiveMaximumExceededError })
  t.is(error?.reasonCode, 0x93)
  t.deepEqual(h.io.delivered.map(d => d.message.topic), ['a', 'b'])
})

test('v5 3.3.4: a QoS 2 flow counts until its PUBREL; a QoS 1 PUBLISH until its PUBACK is sent', async t => {
  const h = harness()
  const gate = new Gate()
  h.session.attach(h.io, { resumed: false, receiveMaximum: 2 })
  h.session.receive(publishPacket('a', 2, 1))
  h.session.receive({ type: 'pubrel', packetId: 1 })
  h.session.receive(publishPacket('b', 2, 2))
  h.io.gate = gate
  h.session.receive(publishPacket('slow', 1, 3))
  t.throws(() => { h.session.receive(publishPacket('c', 1, 4)) }, { instanceOf: ReceiveMaximumExceededError })
  await gate.releaseAll()
  h.session.receive(publishPacket('c', 1, 4))
  t.pass()
})

test('v5 3.3.4: a resent QoS 2 PUBLISH of a flow we hold is not new, and QoS 0 never counts', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false, receiveMaximum: 1 })
  h.session.receive(publishPacket('a', 2, 1))
  h.session.receive(publishPacket('a', 2, 1, true))
  h.session.receive(publishPacket('zero', 0))
  t.deepEqual(h.io.lines, ['send pubrec 1', 'send pubrec 1'])
  t.throws(() => { h.session.receive(publishPacket('b', 2, 2)) }, { instanceOf: ReceiveMaximumExceededError })
})

test('v5 3.3.4: the window starts empty on each connection; flows carried over are not counted against the peer', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false, receiveMaximum: 1 })
  h.session.receive(publishPacket('a', 2, 1))
  h.session.detach()
  h.session.attach(new FakeIo(), { resumed: true, receiveMaximum: 1 })
  h.session.receive(publishPacket('b', 2, 2))
  t.throws(() => { h.session.receive(publishPacket('c', 2, 3)) }, { instanceOf: ReceiveMaximumExceededError })
})

test('v5 3.1.2.11.3: a Receive Maximum of 0 is refused', t => {
  const h = harness()
  t.throws(() => { h.session.attach(h.io, { resumed: false, receiveMaximum: 0 }) }, { instanceOf: InvalidArgumentError })
  t.throws(() => { h.session.attach(h.io, { resumed: false, peerReceiveMaximum: 0 }) }, { instanceOf: InvalidArgumentError })
  t.false(h.session.attached)
})
