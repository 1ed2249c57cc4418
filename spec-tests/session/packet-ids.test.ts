import test from 'ava'
import fc from 'fast-check'
import { PacketIdExhaustedError } from '../../lib/core/errors.js'
import { Gate, harness, message, publishPacket } from '../../test/session/_harness.js'

test('v5 [MQTT-2.2.1-3] [MQTT-2.2.1-4] v3.1.1 [MQTT-2.3.1-2] [MQTT-2.3.1-4]: property: no packet id is handed out while it is in flight, across PUBLISH, SUBSCRIBE ids and reconnects', t => {
  type Op =
    | { kind: 'publish', qos: 1 | 2 }
    | { kind: 'subscribe' }
    | { kind: 'finish', pick: number }
    | { kind: 'pubrec', pick: number }
    | { kind: 'reconnect' }
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('publish' as const), qos: fc.constantFrom(1 as const, 2 as const) }),
    fc.record({ kind: fc.constant('subscribe' as const) }),
    fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('pubrec' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('reconnect' as const) })
  )
  fc.assert(fc.property(fc.array(op, { maxLength: 80 }), ops => {
    const h = harness({ maxQueuedMessages: 10_000 })
    h.session.attach(h.io, { resumed: false, peerReceiveMaximum: 5 })
    // The model: what is in flight, by id.
    const inFlight = new Map<number, 'puback' | 'pubrec' | 'pubcomp' | 'suback'>()
    const take = (id: number, what: 'puback' | 'pubrec' | 'pubcomp' | 'suback'): void => {
      if (inFlight.has(id)) throw new Error(`id ${id} handed out again while in flight`)
      inFlight.set(id, what)
    }
    const observe = (): void => {
      for (const packet of h.io.sent.splice(0)) {
        if (packet.type === 'publish' && !packet.dup && packet.packetId !== undefined) take(packet.packetId, packet.qos === 1 ? 'puback' : 'pubrec')
      }
    }
    for (const o of ops) {
      const ids = [...inFlight.keys()]
      if (o.kind === 'publish') h.session.publish(message('t', o.qos))
      else if (o.kind === 'subscribe') take(h.session.allocatePacketId(), 'suback')
      else if (o.kind === 'reconnect') { h.session.detach(); h.session.attach(h.io, { resumed: true, peerReceiveMaximum: 5 }) }
      else if (ids.length > 0) {
        const id = ids[o.pick % ids.length] as number
        const waiting = inFlight.get(id)
        if (o.kind === 'pubrec' && waiting === 'pubrec') {
          h.session.receive({ type: 'pubrec', packetId: id, reasonCode: 0 })
          inFlight.set(id, 'pubcomp')
        } else if (o.kind === 'finish') {
          inFlight.delete(id)
          if (waiting === 'suback') h.session.releasePacketId(id)
          else if (waiting === 'pubrec') h.session.receive({ type: 'pubrec', packetId: id, reasonCode: 0x80 })
          else h.session.receive({ type: waiting === 'puback' ? 'puback' : 'pubcomp', packetId: id, reasonCode: 0 })
        }
      }
      observe()
    }
    return h.errors.length === 0
  }), { numRuns: 300 })
  t.pass()
})

test('v3.1.1 [MQTT-2.3.1-3] v5 [MQTT-2.2.1-4]: an id becomes free only after its final acknowledgement has been processed, storage included', async t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('only', 1))
  // Every other id is taken by SUBSCRIBE/UNSUBSCRIBE: the next message needs id 1 back.
  for (let i = 0; i < 65534; i++) h.session.allocatePacketId()
  t.throws(() => h.session.allocatePacketId(), { instanceOf: PacketIdExhaustedError })
  h.session.publish(message('next', 1))
  t.is(h.session.stats.queued, 1)
  const gate = new Gate()
  h.store.gate = gate
  h.session.receive({ type: 'puback', packetId: 1, reasonCode: 0 })
  t.is(h.session.stats.queued, 1, 'the end of flow 1 is not stored yet: id 1 is still in flight')
  await gate.releaseOne()
  t.is(h.session.stats.queued, 0, 'stored: id 1 is free, and the waiting message takes it')
  await gate.releaseAll()
  t.is(h.io.lines.at(-1), 'send publish 1 next')
})

test('v5 [MQTT-2.2.1-5] v3.1.1 [MQTT-2.3.1-6]: the peer\'s ids and ours live in separate tables; the same id in both directions never mixes', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.session.publish(message('ours', 2), h.done('ours'))
  h.session.receive(publishPacket('theirs', 2, 1))
  h.session.receive({ type: 'pubrel', packetId: 1 })
  t.false(h.outcomes.has('ours'))
  h.session.receive({ type: 'pubrec', packetId: 1, reasonCode: 0 })
  h.session.receive({ type: 'pubcomp', packetId: 1, reasonCode: 0 })
  t.is(h.outcomes.get('ours'), undefined)
  t.true(h.outcomes.has('ours'))
  t.deepEqual(h.io.lines, ['send publish 1 ours', 'send pubrec 1', 'send pubcomp 1', 'send pubrel 1'])
  t.deepEqual(h.io.delivered.map(d => [d.message.topic, d.packetId]), [['theirs', 1]])
})

test('v5 [MQTT-2.2.1-3] v3.1.1 [MQTT-2.3.1-2]: SUBSCRIBE/UNSUBSCRIBE ids come from the same allocator as PUBLISH ids', t => {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  const sub = h.session.allocatePacketId()
  h.session.publish(message('a', 1))
  const unsub = h.session.allocatePacketId()
  h.session.publish(message('b', 1))
  const publishIds = h.io.sent.map(p => (p.type === 'publish' ? p.packetId : 0))
  t.deepEqual([sub, publishIds[0], unsub, publishIds[1]], [1, 2, 3, 4])
  t.true(h.session.releasePacketId(sub))
  t.false(h.session.releasePacketId(sub))
})
