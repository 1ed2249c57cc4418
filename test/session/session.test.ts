import diagnostics from 'node:diagnostics_channel'
import test from 'ava'
import {
  InvalidArgumentError, MessageExpiredError, NotConnectedError, PublishRejectedError, QueueFullError, SessionClosedError, UnexpectedPacketError
} from '../../lib/core/errors.js'
import { QOS_TRANSITION_CHANNEL, type QosTransitionMessage } from '../../lib/session/diagnostics.js'
import { Session } from '../../lib/session/session.js'
import { FakeIo, Gate, harness, message, publishPacket } from './_harness.js'

test('done: QoS 0 when written, QoS 1 on PUBACK, QoS 2 on PUBCOMP, and not before', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('zero', 0), h.done('zero'))
  h.session.publish(message('one', 1), h.done('one'))
  h.session.publish(message('two', 2), h.done('two'))
  t.deepEqual([...h.outcomes], [['zero', undefined]])
  h.session.receive({ type: 'puback', packetId: 1, reasonCode: 0 })
  t.true(h.outcomes.has('one'))
  h.session.receive({ type: 'pubrec', packetId: 2, reasonCode: 0 })
  t.false(h.outcomes.has('two'))
  h.session.receive({ type: 'pubcomp', packetId: 2, reasonCode: 0 })
  t.deepEqual([...h.outcomes], [['zero', undefined], ['one', undefined], ['two', undefined]])
})

test('done: a v5 refusal (PUBACK or PUBREC >= 0x80) gives PublishRejectedError with the reason code and string', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('one', 1), h.done('one'))
  h.session.publish(message('two', 2), h.done('two'))
  h.session.receive({ type: 'puback', packetId: 1, reasonCode: 0x87, properties: { reasonString: 'not authorized' } })
  h.session.receive({ type: 'pubrec', packetId: 2, reasonCode: 0x97 })
  const one = h.outcomes.get('one')
  const two = h.outcomes.get('two')
  t.true(one instanceof PublishRejectedError)
  t.is((one as PublishRejectedError).reasonCode, 0x87)
  t.regex(one?.message ?? '', /not authorized/)
  t.is((two as PublishRejectedError).reasonCode, 0x97)
})

test('done: a full pending queue refuses with QueueFullError 0x97 and counts it', t => {
  const h = harness({ maxQueuedMessages: 1 })
  h.session.publish(message('a', 1), h.done('a'))
  h.session.publish(message('b', 1), h.done('b'))
  t.true(h.outcomes.get('b') instanceof QueueFullError)
  t.is((h.outcomes.get('b') as QueueFullError).reasonCode, 0x97)
  t.false(h.outcomes.has('a'))
  t.like(h.session.stats.dropped, { queueFullRefused: 1 })
})

test('QoS 0 while detached is dropped and counted by default (NotConnectedError), or queued with queueQos0WhenOffline', t => {
  const dropping = harness()
  dropping.session.publish(message('z', 0), dropping.done('z'))
  t.true(dropping.outcomes.get('z') instanceof NotConnectedError)
  t.like(dropping.session.stats, { queued: 0, dropped: { offlineQos0: 1 } })

  const queueing = harness({ queueQos0WhenOffline: true })
  queueing.session.publish(message('z', 0), queueing.done('z'))
  t.false(queueing.outcomes.has('z'))
  queueing.session.attach(queueing.io, { resumed: false })
  t.deepEqual(queueing.io.lines, ['send publish z'])
  t.is(queueing.outcomes.get('z'), undefined)
  t.true(queueing.outcomes.has('z'))
})

test('a QoS 0 message whose connection ends before it is written (behind slow storage) is counted as dropped', async t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  const gate = new Gate()
  h.store.gate = gate
  h.session.publish(message('one', 1))
  h.session.publish(message('zero', 0), h.done('zero'))
  h.session.detach()
  await gate.releaseAll()
  t.true(h.outcomes.get('zero') instanceof NotConnectedError)
  t.is(h.session.stats.dropped.offlineQos0, 1)
  t.deepEqual(h.io.lines, [])
})

test('a list made for one connection never sends on the next one (no resend except by the resume procedure)', async t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  const gate = new Gate()
  h.store.gate = gate
  h.session.publish(message('a', 1))
  h.session.detach()
  const io = new FakeIo()
  h.session.attach(io, { resumed: true })
  await gate.releaseAll()
  t.deepEqual(io.lines, ['send publish 1 dup a'])
  t.deepEqual(h.io.lines, [])
})

test('v5 [MQTT-3.3.2-5] [MQTT-3.3.2-6] through the session: a queued message is sent with its expiry reduced, or dropped when expired', t => {
  const h = harness()
  h.session.publish(message('short', 1, { properties: { messageExpiryInterval: 5 } }), h.done('short'))
  h.session.publish(message('long', 1, { properties: { messageExpiryInterval: 60 } }), h.done('long'))
  h.clock.advance(10_000)
  h.session.attach(h.io, { resumed: false })
  t.true(h.outcomes.get('short') instanceof MessageExpiredError)
  t.deepEqual(h.io.lines, ['send publish 1 long'])
  const sent = h.io.sent[0]
  t.is(sent?.type === 'publish' ? sent.properties?.messageExpiryInterval : undefined, 50)
  t.is(h.session.stats.expired, 1)
})

test('close settles every outstanding done with SessionClosedError, counts discarded messages, and refuses further use', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false, peerReceiveMaximum: 1 })
  h.session.publish(message('inflight', 1), h.done('inflight'))
  h.session.publish(message('queued', 1), h.done('queued'))
  h.session.close()
  t.true(h.outcomes.get('inflight') instanceof SessionClosedError)
  t.true(h.outcomes.get('queued') instanceof SessionClosedError)
  t.is(h.session.stats.dropped.discarded, 1)
  t.false(h.session.attached)
  h.session.publish(message('late', 1), h.done('late'))
  t.true(h.outcomes.get('late') instanceof SessionClosedError)
  t.throws(() => { h.session.receive({ type: 'puback', packetId: 1 }) }, { instanceOf: SessionClosedError })
  t.throws(() => { h.session.attach(new FakeIo(), { resumed: true }) }, { instanceOf: SessionClosedError })
})

test('receive throws the machines\' protocol errors (a PUBCOMP before PUBREC) and needs a connection', t => {
  const h = harness()
  t.throws(() => { h.session.receive({ type: 'puback', packetId: 1 }) }, { instanceOf: InvalidArgumentError })
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('two', 2))
  const error = t.throws(() => { h.session.receive({ type: 'pubcomp', packetId: 1 }) }, { instanceOf: UnexpectedPacketError })
  t.is(error?.reasonCode, 0x82)
  t.throws(() => { h.session.attach(h.io, { resumed: true }) }, { instanceOf: InvalidArgumentError })
})

test('late or unknown acknowledgements change nothing; a PUBREL for an unknown id is answered 0x92', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.receive({ type: 'puback', packetId: 9 })
  h.session.receive({ type: 'pubcomp', packetId: 9 })
  h.session.receive({ type: 'pubrel', packetId: 9 })
  t.deepEqual(h.io.lines, ['send pubcomp 9 0x92'])
  t.like(h.session.stats, { inflightOutbound: 0, sendQuota: 65535 })
})

test('stats report in-flight flows both ways, queue, quota and drops', t => {
  const h = harness({ maxQueuedMessages: 2 })
  h.session.attach(h.io, { resumed: false, peerReceiveMaximum: 1 })
  h.session.publish(message('a', 2))
  h.session.publish(message('bb', 1))
  h.session.publish(message('c', 1))
  h.session.publish(message('d', 1))
  h.session.receive(publishPacket('in', 2, 3))
  t.deepEqual(h.session.stats, {
    inflightOutbound: 1,
    inflightInbound: 1,
    queued: 2,
    queuedBytes: 2 * 2 + 1 * 2,
    sendQuota: 0,
    dropped: { queueFullQos0: 0, queueFullRefused: 1, offlineQos0: 0, discarded: 0 },
    expired: 0
  })
})

test('a delivery that publishes back into the same session is queued behind the running list', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.io.onDeliver = (m) => { if (m.topic === 'in') h.session.publish(message('echo', 1)) }
  h.session.receive(publishPacket('in', 1, 7))
  t.deepEqual(h.io.lines, ['send puback 7', 'send publish 1 echo'])
})

test('a done callback that throws is reported through onError and does not break the session', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  const bug = new Error('callback bug')
  h.session.publish(message('a', 1), () => { throw bug })
  h.session.receive({ type: 'puback', packetId: 1, reasonCode: 0 })
  t.deepEqual(h.errors, [bug])
  h.session.publish(message('b', 1))
  t.is(h.io.lines.at(-1), 'send publish 2 b')
})

test('without a store the session keeps its flows in memory and still resends them', t => {
  const session = new Session()
  const io = new FakeIo()
  session.attach(io, { resumed: false })
  session.publish(message('a', 2))
  session.receive({ type: 'pubrec', packetId: 1, reasonCode: 0 })
  session.detach()
  const io2 = new FakeIo()
  session.attach(io2, { resumed: true })
  t.deepEqual(io2.lines, ['send pubrel 1'])
})

test('restore() reserves the restored ids and refuses to run on a session already in use', async t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  await t.throwsAsync(h.session.restore(), { instanceOf: InvalidArgumentError })
})

test('qosmos:qos:transition publishes each flow transition when subscribed, and nothing is built otherwise', t => {
  const seen: QosTransitionMessage[] = []
  const listener = (m: unknown): void => { seen.push(m as QosTransitionMessage) }
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('before', 1))
  diagnostics.subscribe(QOS_TRANSITION_CHANNEL, listener)
  try {
    h.session.publish(message('a', 2))
    h.session.receive({ type: 'pubrec', packetId: 2, reasonCode: 0 })
    h.session.receive({ type: 'pubrec', packetId: 2, reasonCode: 0 })
    h.session.receive({ type: 'pubcomp', packetId: 2, reasonCode: 0 })
    h.session.receive(publishPacket('in', 2, 5))
    h.session.receive({ type: 'pubrel', packetId: 5 })
  } finally {
    diagnostics.unsubscribe(QOS_TRANSITION_CHANNEL, listener)
  }
  h.session.receive({ type: 'puback', packetId: 1 })
  t.deepEqual(seen.map(({ direction, packetId, from, to }) => ({ direction, packetId, from, to })), [
    { direction: 'outbound', packetId: 2, from: undefined, to: 'AwaitingPubrec' },
    { direction: 'outbound', packetId: 2, from: 'AwaitingPubrec', to: 'AwaitingPubcomp' },
    { direction: 'outbound', packetId: 2, from: 'AwaitingPubcomp', to: undefined },
    { direction: 'inbound', packetId: 5, from: undefined, to: 'AwaitingPubrel' },
    { direction: 'inbound', packetId: 5, from: 'AwaitingPubrel', to: undefined }
  ])
  t.true(seen.every(m => m.session === h.session))
})
