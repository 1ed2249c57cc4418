import test from 'ava'
import fc from 'fast-check'
import type { PublishPacket } from '../../lib/protocol/packets.js'
import { harness, message, publishPacket } from '../../test/session/_harness.js'

const published = (lines: string[]): string[] => lines.filter(line => line.startsWith('send publish'))

test('v5 [MQTT-4.9.0-1] [MQTT-4.9.0-2] the send quota starts at the peer\'s Receive Maximum; at zero, further QoS 1/2 PUBLISHes wait', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false, peerReceiveMaximum: 3 })
  t.is(h.session.stats.sendQuota, 3)
  for (let i = 1; i <= 5; i++) h.session.publish(message(`m${i}`, i % 2 === 0 ? 2 : 1))
  t.deepEqual(published(h.io.lines), ['send publish 1 m1', 'send publish 2 m2', 'send publish 3 m3'])
  t.like(h.session.stats, { sendQuota: 0, queued: 2, inflightOutbound: 3 })
})

test('v5 [MQTT-4.9.0-2] PUBACK, PUBCOMP and a refusing PUBREC each return one unit of quota; an accepting PUBREC does not', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false, peerReceiveMaximum: 2 })
  h.session.publish(message('q1', 1))
  h.session.publish(message('q2', 2))
  for (let i = 1; i <= 3; i++) h.session.publish(message(`next${i}`, 1))
  h.session.receive({ type: 'pubrec', packetId: 2, reasonCode: 0 })
  t.is(h.session.stats.sendQuota, 0)
  t.is(published(h.io.lines).length, 2)
  h.session.receive({ type: 'puback', packetId: 1, reasonCode: 0 })
  t.deepEqual(published(h.io.lines).slice(2), ['send publish 3 next1'])
  h.session.receive({ type: 'pubcomp', packetId: 2, reasonCode: 0 })
  t.deepEqual(published(h.io.lines).slice(3), ['send publish 4 next2'])
  h.session.receive({ type: 'puback', packetId: 3, reasonCode: 0x80 })
  t.deepEqual(published(h.io.lines).slice(4), ['send publish 5 next3'])
  t.like(h.session.stats, { sendQuota: 0, queued: 0 })
})

test('v5 [MQTT-4.9.0-2] a PUBREC with reason >= 0x80 ends the QoS 2 flow and returns its quota', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false, peerReceiveMaximum: 1 })
  h.session.publish(message('q2', 2))
  h.session.publish(message('waiting', 1))
  h.session.receive({ type: 'pubrec', packetId: 1, reasonCode: 0x87 })
  t.deepEqual(published(h.io.lines), ['send publish 1 q2', 'send publish 2 waiting'])
  t.false(h.io.lines.includes('send pubrel 1'))
})

test('v5 [MQTT-4.9.0-3] [MQTT-3.3.4-8] [MQTT-3.3.4-10] a zero send quota never delays PUBACK, PUBREC, PUBREL, PUBCOMP or QoS 0 PUBLISH', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false, peerReceiveMaximum: 1 })
  h.session.publish(message('ours', 2))
  h.session.publish(message('blocked', 1))
  t.is(h.session.stats.sendQuota, 0)
  h.session.receive(publishPacket('in1', 1, 10))
  h.session.receive(publishPacket('in2', 2, 11))
  h.session.receive({ type: 'pubrel', packetId: 11 })
  h.session.receive({ type: 'pubrec', packetId: 1, reasonCode: 0 })
  h.session.publish(message('zero', 0))
  t.deepEqual(h.io.lines, [
    'send publish 1 ours', 'send puback 10', 'send pubrec 11', 'send pubcomp 11', 'send pubrel 1', 'send publish zero'
  ])
  t.is(h.session.stats.queued, 1)
})

test('v5 [MQTT-4.9.0-1] flows resent on a resumed session count against the new connection\'s quota', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false, peerReceiveMaximum: 10 })
  h.session.publish(message('a', 1))
  h.session.publish(message('b', 2))
  h.session.detach()
  h.session.publish(message('c', 1))
  h.session.publish(message('d', 1))
  h.io.sent.length = 0
  h.session.attach(h.io, { resumed: true, peerReceiveMaximum: 3 })
  t.deepEqual(published(h.io.lines), ['send publish 1 dup a', 'send publish 2 dup b', 'send publish 3 c'])
  t.like(h.session.stats, { sendQuota: 0, queued: 1 })
})

test('v5 [MQTT-3.3.4-7] [MQTT-3.3.4-9] property: unacknowledged QoS 1/2 PUBLISHes never exceed the peer\'s Receive Maximum, and every message is sent once, in order', t => {
  type Op = { kind: 'publish', qos: 0 | 1 | 2 } | { kind: 'ack', pick: number } | { kind: 'reconnect', max: number }
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('publish' as const), qos: fc.constantFrom(0 as const, 1 as const, 2 as const) }),
    fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('reconnect' as const), max: fc.integer({ min: 1, max: 4 }) })
  )
  fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (initialMax, ops) => {
    const h = harness({ maxQueuedMessages: 10_000 })
    let max = initialMax
    h.session.attach(h.io, { resumed: false, peerReceiveMaximum: max })
    // Our model of the peer: ids it has seen a QoS 1/2 PUBLISH for and not yet acknowledged.
    const unacked = new Map<number, 1 | 2>()
    let seen = 0
    let zeros = 0
    let next = 0
    const firstSends: string[] = []
    const check = (): void => {
      for (const packet of h.io.sent.splice(0)) {
        if (packet.type === 'publish' && packet.qos === 0) zeros--
        if (packet.type !== 'publish' || packet.qos === 0) continue
        const p = packet as PublishPacket
        if (!p.dup) firstSends.push(p.topic)
        else if (!firstSends.includes(p.topic)) throw new Error(`DUP=1 before the first send of ${p.topic}`)
        unacked.set(p.packetId as number, p.qos as 1 | 2)
        if (unacked.size > max) throw new Error(`${unacked.size} unacknowledged with Receive Maximum ${max}`)
      }
    }
    for (const o of ops) {
      if (o.kind === 'publish') {
        if (o.qos > 0) seen++
        else zeros++
        h.session.publish(message(`m${next++}`, o.qos))
      } else if (o.kind === 'ack' && unacked.size > 0) {
        const ids = [...unacked.keys()]
        const id = ids[o.pick % ids.length] as number
        const qos = unacked.get(id)
        unacked.delete(id)
        if (qos === 1) h.session.receive({ type: 'puback', packetId: id, reasonCode: 0 })
        else {
          h.session.receive({ type: 'pubrec', packetId: id, reasonCode: 0 })
          h.session.receive({ type: 'pubcomp', packetId: id, reasonCode: 0 })
        }
      } else if (o.kind === 'reconnect') {
        h.session.detach()
        max = o.max
        unacked.clear()
        h.session.attach(h.io, { resumed: true, peerReceiveMaximum: max })
      }
      check()
      if (h.session.stats.sendQuota > max) throw new Error('quota above the maximum')
    }
    const expected = Array.from({ length: next }, (_, i) => `m${i}`)
    const firstQos12 = firstSends
    if (firstQos12.length + h.session.stats.queued !== seen || new Set(firstQos12).size !== firstQos12.length) throw new Error('a QoS 1/2 message was lost or sent twice')
    if (zeros !== 0) throw new Error('a QoS 0 message was held back or sent twice while attached')
    if (firstQos12.some((topic, i) => i > 0 && expected.indexOf(topic) < expected.indexOf(firstQos12[i - 1] as string))) throw new Error('out of order')
    return h.errors.length === 0
  }), { numRuns: 300 })
  t.pass()
})
