import test from 'ava'
import { SessionClosedError } from '../../lib/core/errors.js'
import { MemoryBackend } from '../../lib/persistence/memory.js'
import { Session } from '../../lib/session/session.js'
import { FakeIo, harness, message } from '../../test/session/_harness.js'

test('v3.1.1 [MQTT-4.4.0-1] [MQTT-4.6.0-1], v5 [MQTT-4.4.0-1] [MQTT-4.6.0-1]: on resume every unacknowledged PUBLISH is resent in original send order, with its id and DUP=1; PUBREL for flows past PUBREC', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('a', 1))
  h.session.publish(message('b', 2))
  h.session.publish(message('c', 2))
  h.session.publish(message('d', 1))
  h.session.publish(message('e', 1))
  h.session.receive({ type: 'pubrec', packetId: 2, reasonCode: 0 })
  h.session.receive({ type: 'puback', packetId: 4, reasonCode: 0 })
  h.session.detach()
  const io = new FakeIo()
  h.session.attach(io, { resumed: true })
  t.deepEqual(io.lines, ['send publish 1 dup a', 'send pubrel 2', 'send publish 3 dup c', 'send publish 5 dup e'])
  const first = io.sent[0]
  t.like(first, { type: 'publish', qos: 1, dup: true, packetId: 1, topic: 'a', retain: false })
})

test('v5 [MQTT-4.4.0-1]: nothing is resent on the same connection, nor while detached', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('a', 1))
  h.session.publish(message('b', 2))
  h.session.receive({ type: 'pubrec', packetId: 2, reasonCode: 0 })
  const sentBefore = h.io.lines
  h.session.detach()
  h.session.publish(message('queued', 1))
  t.deepEqual(h.io.lines, sentBefore)
  t.deepEqual(sentBefore, ['send publish 1 a', 'send publish 2 b', 'send pubrel 2'])
})

test('v5 [MQTT-4.3.3-6] v3.1.1 [MQTT-4.3.3-1]: once PUBREL has been sent, a resume resends the PUBREL and never the PUBLISH', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('q2', 2))
  h.session.receive({ type: 'pubrec', packetId: 1, reasonCode: 0 })
  for (let i = 0; i < 3; i++) {
    h.session.detach()
    const io = new FakeIo()
    h.session.attach(io, { resumed: true })
    t.deepEqual(io.lines, ['send pubrel 1'])
  }
})

test('v5 [MQTT-4.4.0-2]: a PUBLISH refused with PUBACK or PUBREC >= 0x80 counts as acknowledged and is never resent', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('q1', 1))
  h.session.publish(message('q2', 2))
  h.session.receive({ type: 'puback', packetId: 1, reasonCode: 0x87 })
  h.session.receive({ type: 'pubrec', packetId: 2, reasonCode: 0x80 })
  h.session.detach()
  const io = new FakeIo()
  h.session.attach(io, { resumed: true })
  t.deepEqual(io.lines, [])
  t.is(h.session.stats.inflightOutbound, 0)
})

test('v5 [MQTT-3.1.2-4] v3.1.1 [MQTT-3.1.2-6]: a clean start discards every flow, frees their ids and settles their done with SessionClosedError', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('a', 1), h.done('a'))
  h.session.publish(message('b', 2), h.done('b'))
  h.session.receive({ type: 'publish', topic: 'in', payload: Buffer.alloc(0), qos: 2, retain: false, dup: false, packetId: 9 })
  h.session.detach()
  const io = new FakeIo(h.log)
  h.log.length = 0
  h.session.attach(io, { resumed: false })
  t.deepEqual(h.log, ['store discardFlows'])
  t.true(h.outcomes.get('a') instanceof SessionClosedError)
  t.true(h.outcomes.get('b') instanceof SessionClosedError)
  t.like(h.session.stats, { inflightOutbound: 0, inflightInbound: 0 })
  // The peer's id 9 is free again: a PUBLISH with it is a new message, delivered again.
  h.session.receive({ type: 'publish', topic: 'in', payload: Buffer.alloc(0), qos: 2, retain: false, dup: true, packetId: 9 })
  t.deepEqual(io.delivered.map(d => d.message.topic), ['in'])
  // A late PUBACK for a discarded flow finds nothing and changes nothing.
  h.session.receive({ type: 'puback', packetId: 1, reasonCode: 0 })
  t.is(h.outcomes.size, 2)
})

test('v5 [MQTT-4.4.0-1] [MQTT-4.6.0-1]: after a restart, a session restored from the store resends in original order and keeps the restored ids reserved', async t => {
  const backend = new MemoryBackend()
  const before = harness({}, backend.flowStore('c1'))
  before.session.attach(before.io, { resumed: false })
  for (const [topic, qos] of [['a', 2], ['b', 1], ['c', 2], ['d', 1]] as const) before.session.publish(message(topic, qos))
  before.session.receive({ type: 'pubrec', packetId: 1, reasonCode: 0 })
  before.session.receive({ type: 'puback', packetId: 2, reasonCode: 0 })
  before.session.receive({ type: 'publish', topic: 'in', payload: Buffer.alloc(0), qos: 2, retain: false, dup: false, packetId: 4 })

  const after = new Session({ store: backend.flowStore('c1') })
  await after.restore()
  t.like(after.stats, { inflightOutbound: 3, inflightInbound: 1 })
  const io = new FakeIo()
  after.attach(io, { resumed: true })
  t.deepEqual(io.lines, ['send pubrel 1', 'send publish 3 dup c', 'send publish 4 dup d'])
  // The inbound flow survived: a resent PUBLISH 4 is acknowledged, not delivered again.
  after.receive({ type: 'publish', topic: 'in', payload: Buffer.alloc(0), qos: 2, retain: false, dup: true, packetId: 4 })
  t.deepEqual(io.delivered, [])
  t.is(io.lines.at(-1), 'send pubrec 4')
  // Restored ids stay reserved: new messages get other ids.
  after.publish(message('e', 1))
  after.publish(message('f', 1))
  const newIds = io.sent.slice(4).map(p => (p.type === 'publish' ? p.packetId : undefined))
  t.is(newIds.length, 2)
  for (const id of newIds) t.false([1, 3, 4].includes(id as number))
})

test('v5 [MQTT-4.6.0-1]: messages queued while offline follow the resent flows, in publish order', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('a', 1))
  h.session.detach()
  h.session.publish(message('b', 2))
  h.session.publish(message('c', 1))
  const io = new FakeIo()
  h.session.attach(io, { resumed: true })
  t.deepEqual(io.lines, ['send publish 1 dup a', 'send publish 2 b', 'send publish 3 c'])
})

test('v5 [MQTT-4.4.0-1] [MQTT-3.3.4-9]: with a smaller Receive Maximum on the new connection, resends wait for quota in order and new messages wait behind them; PUBREL never waits', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  for (const topic of ['a', 'b', 'c', 'd']) h.session.publish(message(topic, 2))
  h.session.receive({ type: 'pubrec', packetId: 4, reasonCode: 0 })
  h.session.detach()
  h.session.publish(message('new', 1))
  const io = new FakeIo()
  h.session.attach(io, { resumed: true, peerReceiveMaximum: 2 })
  // In send order while quota lasts; the PUBREL goes out although the quota is used up.
  t.deepEqual(io.lines, ['send publish 1 dup a', 'send publish 2 dup b', 'send pubrel 4'])
  t.is(h.session.stats.sendQuota, 0)
  io.sent.length = 0
  h.session.receive({ type: 'pubcomp', packetId: 4, reasonCode: 0 })
  t.deepEqual(io.lines, [], 'two PUBLISHes still unacknowledged: c waits')
  h.session.receive({ type: 'pubrec', packetId: 1, reasonCode: 0x80 })
  t.deepEqual(io.lines, ['send publish 3 dup c'])
  io.sent.length = 0
  h.session.receive({ type: 'pubrec', packetId: 2, reasonCode: 0x80 })
  t.deepEqual(io.lines, ['send publish 5 new'])
})
