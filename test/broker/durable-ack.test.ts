/**
 * Acknowledge after durable (issue: nothing lost): a publisher's PUBACK / PUBREC leaves only
 * once every matching persistent session has its copy in the store, and the retained store has
 * it when it is retained; a store failure means no acknowledgement at all.
 */
import test from 'ava'
import type { BrokerPersistence, QueuedMessage, StoredRetained } from '../../lib/persistence/contract-broker.js'
import type { OutboundFlow } from '../../lib/qos/types.js'
import { MemoryBackend } from '../../lib/persistence/memory.js'
import { startBroker } from '../../spec-tests/_harness/broker.js'

/** A memory store whose message writes wait until the test releases (or fails) them. */
class HeldStore extends MemoryBackend {
  held: Array<{ what: string, release: () => void, fail: (e: Error) => void }> = []
  holding = false

  #hold (what: string, write: () => Promise<void> | void): Promise<void> | void {
    if (!this.holding) return write()
    return new Promise<void>((resolve, reject) => {
      this.held.push({ what, release: () => { resolve(write()) }, fail: reject })
    })
  }

  override queueStore (clientId: string): ReturnType<MemoryBackend['queueStore']> {
    const inner = super.queueStore(clientId)
    return {
      messageQueued: (entry: QueuedMessage) => this.#hold(`queued ${clientId}`, () => inner.messageQueued(entry)),
      queuedMessageRemoved: (seq: number) => inner.queuedMessageRemoved(seq),
      restoreQueue: () => inner.restoreQueue()
    }
  }

  override flowStore (clientId: string): ReturnType<MemoryBackend['flowStore']> {
    const inner = super.flowStore(clientId)
    return {
      outboundFlowChanged: (flow: OutboundFlow) => this.#hold(`flow ${clientId}`, () => inner.outboundFlowChanged(flow)),
      outboundFlowEnded: (id) => inner.outboundFlowEnded(id),
      inboundFlowStarted: (flow) => inner.inboundFlowStarted(flow),
      inboundFlowEnded: (id) => inner.inboundFlowEnded(id),
      restoreFlows: () => inner.restoreFlows(),
      discardFlows: () => inner.discardFlows()
    }
  }

  override retainedChanged (topic: string, retained: StoredRetained | undefined): Promise<void> | void {
    return this.#hold(`retained ${topic}`, () => { super.retainedChanged(topic, retained) })
  }

  releaseAll (): void { for (const h of this.held.splice(0)) h.release() }
  failAll (): void { for (const h of this.held.splice(0)) h.fail(new Error('disk full')) }
}

const PERSISTENT = { clean: false, properties: { sessionExpiryInterval: 600 } }

async function setup (store: BrokerPersistence): Promise<Awaited<ReturnType<typeof startBroker>>> {
  const b = await startBroker({ persistence: store })
  // One persistent subscriber online (its copy becomes a flow) and one offline (its copy is queued).
  for (const clientId of ['online', 'offline']) {
    const c = await b.connected(5, { clientId, ...PERSISTENT })
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'd/#', qos: 2 }] })
    await c.expect('suback')
    if (clientId === 'offline') await c.disconnect()
  }
  return b
}

test('QoS 1: PUBACK waits until both persistent subscribers have their copy in the store', async t => {
  const store = new HeldStore()
  const b = await setup(store)
  try {
    const pub = await b.connected(5)
    store.holding = true
    pub.send({ type: 'publish', topic: 'd/1', payload: Buffer.from('x'), qos: 1, packetId: 7, retain: false, dup: false })
    await new Promise(resolve => setTimeout(resolve, 100))
    t.deepEqual(store.held.map(h => h.what).sort(), ['flow online', 'queued offline'])
    await pub.quiet(200)
    t.deepEqual(pub.queued, [], 'no PUBACK while the copies are not stored')
    store.holding = false
    store.releaseAll()
    const ack = await pub.expect('puback')
    t.is(ack.packetId, 7)
  } finally { await b.close() }
})

test('QoS 2: PUBREC waits for the store the same way', async t => {
  const store = new HeldStore()
  const b = await setup(store)
  try {
    const pub = await b.connected(4)
    store.holding = true
    pub.send({ type: 'publish', topic: 'd/2', payload: Buffer.from('x'), qos: 2, packetId: 8, retain: false, dup: false })
    await new Promise(resolve => setTimeout(resolve, 100))
    await pub.quiet(200)
    t.deepEqual(pub.queued, [])
    store.holding = false
    store.releaseAll()
    t.is((await pub.expect('pubrec')).packetId, 8)
  } finally { await b.close() }
})

test('a retained QoS 1 message is acknowledged only once the retained store has it', async t => {
  const store = new HeldStore()
  const b = await startBroker({ persistence: store })
  try {
    const pub = await b.connected(5)
    store.holding = true
    pub.send({ type: 'publish', topic: 'r/1', payload: Buffer.from('keep'), qos: 1, packetId: 3, retain: true, dup: false })
    await new Promise(resolve => setTimeout(resolve, 100))
    t.deepEqual(store.held.map(h => h.what), ['retained r/1'])
    await pub.quiet(200)
    t.deepEqual(pub.queued, [])
    store.holding = false
    store.releaseAll()
    t.is((await pub.expect('puback')).packetId, 3)
  } finally { await b.close() }
})

test('a failed store write means no PUBACK: the publisher is disconnected with an error instead', async t => {
  const store = new HeldStore()
  const b = await setup(store)
  try {
    const pub = await b.connected(5)
    store.holding = true
    pub.send({ type: 'publish', topic: 'd/3', payload: Buffer.from('x'), qos: 1, packetId: 9, retain: false, dup: false })
    await new Promise(resolve => setTimeout(resolve, 100))
    store.holding = false
    store.failAll()
    const next = await pub.next().catch(() => undefined)
    t.not(next?.type, 'puback')
    if (next?.type === 'disconnect') t.true((next.reasonCode ?? 0) >= 0x80)
    await pub.closed()
  } finally { await b.close() }
})

test('with a synchronous store (memory) the PUBACK goes out at once', async t => {
  const b = await setup(new MemoryBackend())
  try {
    const pub = await b.connected(5)
    pub.send({ type: 'publish', topic: 'd/4', payload: Buffer.from('x'), qos: 1, packetId: 1, retain: false, dup: false })
    t.is((await pub.expect('puback')).packetId, 1)
  } finally { await b.close() }
})
