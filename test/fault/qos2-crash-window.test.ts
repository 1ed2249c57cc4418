/**
 * Found by the broker-kill run (test/fault/broker-kill.test.ts, scripts/soak.ts): a QoS 2
 * message acknowledged with PUBREC was lost when the broker process died between two store
 * writes. The exactly-once receiver stored the publisher's flow (AwaitingPubrel), then routed
 * the message, whose copies were stored by the subscribers' sessions in later lmdb
 * transactions, then sent PUBREC. Killed in between, the restarted broker held the flow but no
 * copy; the publisher's resent PUBLISH (DUP) was taken as a duplicate (v5 [MQTT-4.3.3-10]),
 * answered PUBREC, and never routed.
 *
 * The broker now issues the flow record and the routed copies in the same turn, so a store that
 * commits per turn (lmdb) writes them in one transaction: a crash keeps both or neither. The
 * store below models exactly that: writes issued in one turn commit together at the end of the
 * turn, and the "crash" loses the whole batch that holds the subscriber's copy.
 */
import test from 'ava'
import type { QueuedMessage } from '../../lib/persistence/contract-broker.js'
import type { InboundFlow } from '../../lib/qos/types.js'
import { MemoryBackend } from '../../lib/persistence/memory.js'
import { startBroker } from '../../spec-tests/_harness/broker.js'

/** Flow and queue writes commit per turn, all together; while `dying`, a batch holding a copy for `sub` is lost. */
class TurnBatchedStore extends MemoryBackend {
  dying = false
  lost: string[] = []
  #batch: Array<{ label: string, apply: () => void, resolve: () => void }> = []

  #write (label: string, apply: () => void): Promise<void> {
    return new Promise<void>(resolve => {
      if (this.#batch.length === 0) setImmediate(() => { this.#commit() })
      this.#batch.push({ label, apply, resolve })
    })
  }

  #commit (): void {
    const batch = this.#batch
    this.#batch = []
    if (this.dying && batch.some(w => w.label.startsWith('queued sub'))) {
      this.lost.push(...batch.map(w => w.label)) // the process died: nothing of this commit is on disk
      return
    }
    for (const w of batch) { w.apply(); w.resolve() }
  }

  override queueStore (clientId: string): ReturnType<MemoryBackend['queueStore']> {
    const inner = super.queueStore(clientId)
    return {
      messageQueued: (entry: QueuedMessage) => this.#write(`queued ${clientId} ${entry.message.topic}`, () => { inner.messageQueued(entry) }),
      queuedMessageRemoved: (seq: number) => this.#write(`dequeued ${clientId}`, () => { inner.queuedMessageRemoved(seq) }),
      restoreQueue: () => inner.restoreQueue()
    }
  }

  override flowStore (clientId: string): ReturnType<MemoryBackend['flowStore']> {
    const inner = super.flowStore(clientId)
    return {
      outboundFlowChanged: (flow) => this.#write(`outbound ${clientId}`, () => { inner.outboundFlowChanged(flow) }),
      outboundFlowEnded: (id) => this.#write(`outbound end ${clientId}`, () => { inner.outboundFlowEnded(id) }),
      inboundFlowStarted: (flow: InboundFlow) => this.#write(`inbound ${clientId} ${flow.packetId}`, () => { inner.inboundFlowStarted(flow) }),
      inboundFlowEnded: (id) => this.#write(`inbound end ${clientId}`, () => { inner.inboundFlowEnded(id) }),
      restoreFlows: () => inner.restoreFlows(),
      discardFlows: () => inner.discardFlows()
    }
  }
}

const PERSISTENT = { clean: false, properties: { sessionExpiryInterval: 600 } }

test('a QoS 2 message whose copy was not stored when the broker died is routed when the publisher resends it, and reaches the subscriber once', async t => {
  const store = new TurnBatchedStore()
  const first = await startBroker({ persistence: store })
  try {
    const sub = await first.connected(5, { clientId: 'sub', ...PERSISTENT })
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'w/#', qos: 2 }] })
    await sub.expect('suback')
    await sub.disconnect()
    const pub = await first.connected(5, { clientId: 'pub', ...PERSISTENT })
    store.dying = true
    pub.send({ type: 'publish', topic: 'w/1', payload: Buffer.from('once'), qos: 2, packetId: 5, retain: false, dup: false })
    await new Promise(resolve => setTimeout(resolve, 100))
    t.deepEqual(store.lost, ['inbound pub 5', 'queued sub w/1'], 'the flow and the copy were in one commit, lost together')
    t.true(await pub.quiet(100), 'no PUBREC before the copy is stored')
  } finally { await first.close() }
  store.dying = false

  const second = await startBroker({ persistence: store })
  try {
    const pub = await second.client(5)
    t.true((await pub.connect({ clientId: 'pub', ...PERSISTENT })).sessionPresent)
    // The publisher's session resends the unacknowledged PUBLISH with DUP (v5 [MQTT-4.4.0-1]).
    pub.send({ type: 'publish', topic: 'w/1', payload: Buffer.from('once'), qos: 2, packetId: 5, retain: false, dup: true })
    t.is((await pub.expect('pubrec')).packetId, 5)
    const sub = await second.client(5)
    t.true((await sub.connect({ clientId: 'sub', ...PERSISTENT })).sessionPresent)
    const p = await sub.expect('publish', 1000)
    t.is(p.payload.toString(), 'once')
    t.true(await sub.quiet(300), 'one copy only')
  } finally { await second.close() }
})
