import test from 'ava'
import type { Packet, PublishPacket } from '../../lib/protocol/packets.js'
import { Session } from '../../lib/session/session.js'

const publish = (n: number, qos: 1 | 2): PublishPacket => ({ type: 'publish', topic: `t/${n}`, payload: Buffer.from(`m${n}`), qos, packetId: n, retain: false, dup: false })

function setup (pipelineDeliveries: boolean): { session: Session, sent: Packet[], delivered: string[], settle: Array<() => void> } {
  const sent: Packet[] = []
  const delivered: string[] = []
  const settle: Array<() => void> = []
  const session = new Session({ pipelineDeliveries, independentInbound: true })
  session.attach({
    send: (p) => { sent.push(p) },
    deliver: async (m) => { delivered.push(m.topic); await new Promise<void>(resolve => settle.push(resolve)) }
  }, { resumed: false })
  return { session, sent, delivered, settle }
}

const acks = (sent: Packet[]): string[] => sent.map(p => `${p.type} ${'packetId' in p ? String(p.packetId) : ''}`)

test('v5 [MQTT-4.6.0-2] pipelined deliveries: each PUBLISH is delivered without waiting for the one before to settle, and the PUBACKs still leave in arrival order', async t => {
  const { session, sent, delivered, settle } = setup(true)
  for (const n of [1, 2, 3]) session.receive(publish(n, 1))
  t.deepEqual(delivered, ['t/1', 't/2', 't/3'], 'all three delivered at once')
  settle[2]?.()
  settle[1]?.()
  await new Promise(resolve => setImmediate(resolve))
  t.deepEqual(sent, [], 'no PUBACK before the first delivery settled')
  settle[0]?.()
  await new Promise(resolve => setImmediate(resolve))
  t.deepEqual(acks(sent), ['puback 1', 'puback 2', 'puback 3'])
})

test('v5 [MQTT-4.6.0-3] a QoS 2 PUBREC behind pipelined QoS 1 deliveries waits for their PUBACKs', async t => {
  const { session, sent, settle } = setup(true)
  session.receive(publish(1, 1))
  session.receive(publish(2, 2))
  await new Promise(resolve => setImmediate(resolve))
  settle[1]?.()
  await new Promise(resolve => setImmediate(resolve))
  t.deepEqual(sent, [])
  settle[0]?.()
  await new Promise(resolve => setImmediate(resolve))
  t.deepEqual(acks(sent), ['puback 1', 'pubrec 2'])
})

test('without pipelining (the client: one message at a time to the application) the next delivery waits for the one before', async t => {
  const { session, delivered, settle } = setup(false)
  for (const n of [1, 2]) session.receive(publish(n, 1))
  t.deepEqual(delivered, ['t/1'])
  settle[0]?.()
  await new Promise(resolve => setImmediate(resolve))
  t.deepEqual(delivered, ['t/1', 't/2'])
})
