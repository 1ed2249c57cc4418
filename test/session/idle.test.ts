/**
 * A session builds its tables, queue and runners on first need (session.ts, Session): an idle
 * connected session holds only its options, its connection and the Receive Maximum values of its
 * attach. Everything an attach decided must still hold when the session is first used.
 * `independentInbound` and sessions without a store take the lazy path at every attach; a single
 * runner with a store builds at a clean attach, to erase the store.
 */
import test from 'ava'
import { InvalidArgumentError, ReceiveMaximumExceededError, SessionClosedError } from '../../lib/core/errors.js'
import { toPacketId } from '../../lib/core/ids.js'
import { Session } from '../../lib/session/session.js'
import { FakeIo, harness, message, publishPacket } from './_harness.js'

test('v5 [MQTT-4.9.0-2]: the peer Receive Maximum given at attach bounds the first publications of a session that was idle', t => {
  const session = new Session()
  const io = new FakeIo()
  session.attach(io, { resumed: false, peerReceiveMaximum: 2 })
  t.is(session.stats.sendQuota, 2)
  session.publish(message('a', 1))
  session.publish(message('b', 2))
  session.publish(message('c', 1))
  t.deepEqual(io.lines, ['send publish 1 a', 'send publish 2 b'])
  t.like(session.stats, { sendQuota: 0, queued: 1, inflightOutbound: 2 })
  session.receive({ type: 'puback', packetId: 1, reasonCode: 0 })
  t.deepEqual(io.lines, ['send publish 1 a', 'send publish 2 b', 'send publish 3 c'])
})

test('v5 3.3.4: our Receive Maximum given at attach bounds the first received PUBLISH packets of a session that was idle', t => {
  const h = harness({ independentInbound: true })
  h.session.attach(h.io, { resumed: false, receiveMaximum: 1 })
  h.session.receive(publishPacket('a', 2, 1))
  t.throws(() => { h.session.receive(publishPacket('b', 2, 2)) }, { instanceOf: ReceiveMaximumExceededError })
  t.deepEqual(h.io.lines, ['send pubrec 1'])
})

test('v5 3.1.2.11.3: a Receive Maximum out of 1..65535 is refused at attach by a session that was never used', t => {
  const session = new Session()
  const io = new FakeIo()
  t.throws(() => { session.attach(io, { resumed: false, receiveMaximum: 0 }) }, { instanceOf: InvalidArgumentError })
  t.throws(() => { session.attach(io, { resumed: true, peerReceiveMaximum: 65536 }) }, { instanceOf: InvalidArgumentError })
  t.false(session.attached)
  session.attach(io, { resumed: false, receiveMaximum: 1, peerReceiveMaximum: 1 })
  t.true(session.attached)
})

test('v5 [MQTT-3.1.2-4] v3.1.1 [MQTT-3.1.2-6]: a clean attach of a single-runner session with a store erases the stored flows at once', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  t.deepEqual(h.log, ['store discardFlows'])
})

test('an idle session with two runners makes no store call at attach, and stores its first flow as an eager one would', t => {
  const h = harness({ independentInbound: true })
  h.session.attach(h.io, { resumed: false })
  h.session.detach()
  h.session.attach(h.io, { resumed: true })
  t.deepEqual(h.log, [])
  h.session.publish(message('a', 1))
  t.deepEqual(h.log, ['store outboundFlowChanged 1 AwaitingPuback', 'send publish 1 a'])
})

test('a session closed before any use settles later publications with SessionClosedError and reports nothing in flight', t => {
  const h = harness({ independentInbound: true })
  h.session.attach(h.io, { resumed: false })
  h.session.close()
  t.false(h.session.attached)
  t.true(h.session.closed)
  h.session.publish(message('late', 1), h.done('late'))
  t.true(h.outcomes.get('late') instanceof SessionClosedError)
  t.throws(() => { h.session.attach(h.io, { resumed: true }) }, { instanceOf: SessionClosedError })
  t.like(h.session.stats, { inflightOutbound: 0, inflightInbound: 0, queued: 0, dropped: { discarded: 0 } })
  t.false(h.session.releasePacketId(1))
})

test('a packet id taken by a session that was idle is released once, and the next one follows it', t => {
  const session = new Session()
  session.attach(new FakeIo(), { resumed: false })
  t.false(session.releasePacketId(1))
  const id = session.allocatePacketId()
  t.is(id, toPacketId(1))
  t.true(session.releasePacketId(id))
  t.false(session.releasePacketId(id))
  t.is(session.allocatePacketId(), toPacketId(2))
})
