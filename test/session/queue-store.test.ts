import test from 'ava'
import { ManualClock } from '../../lib/core/clock.js'
import { StorageError } from '../../lib/core/errors.js'
import { MemoryBackend } from '../../lib/persistence/memory.js'
import type { Packet } from '../../lib/protocol/packets.js'
import type { ApplicationMessage } from '../../lib/qos/types.js'
import { Session } from '../../lib/session/session.js'

const msg = (n: number, qos: 0 | 1 | 2 = 1, expiry?: number): ApplicationMessage => ({
  topic: `t/${n}`,
  payload: Buffer.from(`m${n}`),
  qos,
  retain: false,
  ...(expiry === undefined ? {} : { properties: { messageExpiryInterval: expiry } })
})

function io (): { sent: Packet[], send: (p: Packet) => void, deliver: () => void } {
  const sent: Packet[] = []
  return { sent, send: (p) => { sent.push(p) }, deliver: () => {} }
}

test('messages queued while detached are written to the queue store and removed as they are sent', async t => {
  const backend = new MemoryBackend()
  const session = new Session({ store: backend.flowStore('c'), queueStore: backend.queueStore('c') })
  for (let i = 1; i <= 3; i++) session.publish(msg(i))
  t.deepEqual((await backend.queueStore('c').restoreQueue()).map(e => e.message.topic), ['t/1', 't/2', 't/3'])
  const conn = io()
  session.attach(conn, { resumed: true, peerReceiveMaximum: 2 })
  // Two went out (Receive Maximum 2) and are now flows; one is still queued.
  t.deepEqual(conn.sent.map(p => p.type === 'publish' ? p.topic : p.type), ['t/1', 't/2'])
  t.deepEqual((await backend.queueStore('c').restoreQueue()).map(e => e.message.topic), ['t/3'])
  t.is((await backend.flowStore('c').restoreFlows()).outbound.length, 2)
})

test('a session restored from the store gets its queue back in order, then sends it on attach', async t => {
  const backend = new MemoryBackend()
  const clock = new ManualClock(5000)
  const before = new Session({ clock, store: backend.flowStore('c'), queueStore: backend.queueStore('c') })
  before.publish(msg(1))
  before.publish(msg(2, 2, 60))
  before.close()
  clock.advance(20_000)
  const after = new Session({ clock, store: backend.flowStore('c'), queueStore: backend.queueStore('c') })
  await after.restore()
  t.is(after.stats.queued, 2)
  const conn = io()
  after.attach(conn, { resumed: true })
  const topics = conn.sent.map(p => p.type === 'publish' ? [p.topic, p.properties?.messageExpiryInterval] : [p.type])
  // v5 [MQTT-3.3.2-6]: the expiry sent is what is left of it (60 s less the 20 s queued).
  t.deepEqual(topics, [['t/1', undefined], ['t/2', 40]])
  t.deepEqual(await backend.queueStore('c').restoreQueue(), [])
})

test('expired and evicted queue entries are removed from the store too', async t => {
  const backend = new MemoryBackend()
  const clock = new ManualClock(0)
  const session = new Session({ clock, queueStore: backend.queueStore('c'), maxQueuedMessages: 2, queueQos0WhenOffline: true })
  session.publish(msg(1, 1, 1))
  session.publish(msg(2, 0))
  clock.advance(2000)
  session.publish(msg(3, 1)) // full: dropping the expired entry makes room
  t.deepEqual((await backend.queueStore('c').restoreQueue()).map(e => e.message.topic), ['t/2', 't/3'])
  session.publish(msg(4, 1)) // full again: the QoS 0 entry is evicted for a QoS 1 message
  t.deepEqual((await backend.queueStore('c').restoreQueue()).map(e => e.message.topic), ['t/3', 't/4'])
})

test('a failing queue store write reaches onError as a StorageError', async t => {
  const errors: Error[] = []
  const session = new Session({
    onError: (e) => { errors.push(e) },
    queueStore: {
      messageQueued: async () => { throw new Error('disk full') },
      queuedMessageRemoved: () => {},
      restoreQueue: async () => []
    }
  })
  session.publish(msg(1))
  await new Promise(resolve => setImmediate(resolve))
  t.is(errors.length, 1)
  t.true(errors[0] instanceof StorageError)
  t.is((errors[0]?.cause as Error).message, 'disk full')
})

test('a queued QoS 1/2 message leaves the queue store in the same turn as its flow is first written, never before', async t => {
  const log: string[] = []
  const backend = new MemoryBackend()
  const flows = backend.flowStore('c')
  const queue = backend.queueStore('c')
  let release: () => void = () => {}
  const held = new Promise<void>(resolve => { release = resolve })
  const session = new Session({
    store: {
      ...flows,
      outboundFlowChanged: (flow) => { log.push(`flow ${flow.packetId} ${flow.state}`); return held.then(() => flows.outboundFlowChanged(flow)) },
      outboundFlowEnded: (id) => flows.outboundFlowEnded(id),
      restoreFlows: () => flows.restoreFlows()
    },
    queueStore: {
      messageQueued: (entry) => { log.push(`queued ${entry.seq}`); return queue.messageQueued(entry) },
      queuedMessageRemoved: (seq) => { log.push(`removed ${seq}`); return queue.queuedMessageRemoved(seq) },
      restoreQueue: () => queue.restoreQueue()
    }
  })
  session.publish(msg(1, 2))
  const conn = io()
  session.attach(conn, { resumed: true })
  t.deepEqual(log, ['queued 1', 'flow 1 AwaitingPubrec', 'removed 1'])
  t.deepEqual(conn.sent, [], 'the PUBLISH waits for the flow write')
  release()
  await new Promise(resolve => setImmediate(resolve))
  t.deepEqual(conn.sent.map(p => p.type), ['publish'])
})
