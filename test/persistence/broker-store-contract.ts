/**
 * The contract every broker persistence backend passes (ARCHITECTURE rule 8): sessions,
 * subscriptions, queues and retained messages. The flow part has its own suite
 * (flow-store-contract.ts). Usage, in a backend's test file:
 *
 *   brokerStoreContract(test, 'memory', () => new MemoryBackend())
 *
 * `reopen`, when given, makes a second backend instance over the same data (a restart); the
 * suite then also checks that everything written survives it.
 */
import type { TestFn } from 'ava'
import type { BrokerPersistence, StoredSession } from '../../lib/persistence/contract-broker.js'
import type { ApplicationMessage } from '../../lib/qos/types.js'

const message = (topic: string, qos: 0 | 1 | 2, body = topic): ApplicationMessage => ({
  topic,
  payload: Buffer.from(body),
  qos,
  retain: false,
  properties: { messageExpiryInterval: 30, responseTopic: 'r/1', correlationData: Buffer.from([9, 8]), userProperties: [['k', 'v'], ['k', 'w']] }
})

const session = (clientId: string, extra: Partial<StoredSession> = {}): StoredSession => ({ clientId, protocolVersion: 5, expiryInterval: 300, ...extra })

export interface BrokerStoreHarness {
  make: () => BrokerPersistence | Promise<BrokerPersistence>
  /** A new instance over the data of `old` (closed first by the suite). */
  reopen?: (old: BrokerPersistence) => BrokerPersistence | Promise<BrokerPersistence>
}

export function brokerStoreContract (test: TestFn, name: string, harness: BrokerStoreHarness): void {
  const run = async (body: (store: BrokerPersistence) => Promise<void>): Promise<void> => {
    const store = await harness.make()
    try { await body(store) } finally { await store.close() }
  }

  test(`${name}: an empty store restores no session and no retained message`, async t => {
    await run(async store => {
      t.deepEqual(await store.restoreSessions(), [])
      t.deepEqual(await store.restoreRetained(), [])
      t.deepEqual(await store.queueStore('nobody').restoreQueue(), [])
    })
  })

  test(`${name}: a saved session comes back with its will and its subscriptions; saving again replaces it`, async t => {
    await run(async store => {
      const will = { topic: 'w', payload: Buffer.from('gone'), qos: 1 as const, retain: false, properties: { willDelayInterval: 5 } }
      await store.sessionSaved(session('a', { will }))
      await store.sessionSaved(session('a', { will, disconnectedAt: 1234, username: 'u' }))
      await store.subscriptionAdded('a', { topicFilter: 'x/+', qos: 1 })
      await store.subscriptionAdded('a', { topicFilter: 'y/#', qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionIdentifier: 7 })
      await store.subscriptionAdded('a', { topicFilter: 'x/+', qos: 0 }) // replaces the first
      const [restored, ...rest] = await store.restoreSessions()
      t.deepEqual(rest, [])
      t.deepEqual(restored?.session, session('a', { will, disconnectedAt: 1234, username: 'u' }))
      const subs = [...restored?.subscriptions ?? []].sort((x, y) => x.topicFilter.localeCompare(y.topicFilter))
      t.deepEqual(subs, [
        { topicFilter: 'x/+', qos: 0 },
        { topicFilter: 'y/#', qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2, subscriptionIdentifier: 7 }
      ])
    })
  })

  test(`${name}: removing a subscription removes only that filter; unknown filters are ignored`, async t => {
    await run(async store => {
      await store.sessionSaved(session('a'))
      await store.subscriptionAdded('a', { topicFilter: 'x', qos: 1 })
      await store.subscriptionAdded('a', { topicFilter: 'y', qos: 1 })
      await store.subscriptionRemoved('a', 'x')
      await store.subscriptionRemoved('a', 'nope')
      await store.subscriptionRemoved('nobody', 'x')
      const [restored] = await store.restoreSessions()
      t.deepEqual(restored?.subscriptions, [{ topicFilter: 'y', qos: 1 }])
    })
  })

  test(`${name}: the queue keeps seq order and removes by seq; sessions never see each other's queue`, async t => {
    await run(async store => {
      const qa = store.queueStore('a')
      const qb = store.queueStore('b')
      for (const seq of [1, 2, 3, 4]) await qa.messageQueued({ seq, message: message(`t/${seq}`, 1), queuedAt: 100 + seq })
      await qb.messageQueued({ seq: 1, message: message('other', 2), queuedAt: 7 })
      await qa.queuedMessageRemoved(2)
      await qa.queuedMessageRemoved(99)
      const restored = await store.queueStore('a').restoreQueue()
      t.deepEqual(restored.map(e => e.seq), [1, 3, 4])
      t.deepEqual(restored[1], { seq: 3, message: message('t/3', 1), queuedAt: 103 })
      t.deepEqual((await qb.restoreQueue()).map(e => e.message.topic), ['other'])
    })
  })

  test(`${name}: an ended session loses its record, subscriptions, queue and flows; others keep theirs`, async t => {
    await run(async store => {
      for (const id of ['a', 'b']) {
        await store.sessionSaved(session(id))
        await store.subscriptionAdded(id, { topicFilter: 'x', qos: 1 })
        await store.queueStore(id).messageQueued({ seq: 1, message: message('x', 1), queuedAt: 1 })
        await store.flowStore(id).inboundFlowStarted({ state: 'AwaitingPubrel', packetId: 3 as never })
      }
      await store.sessionEnded('a')
      t.deepEqual((await store.restoreSessions()).map(r => r.session.clientId), ['b'])
      t.deepEqual(await store.queueStore('a').restoreQueue(), [])
      t.deepEqual(await store.flowStore('a').restoreFlows(), { outbound: [], inbound: [] })
      t.is((await store.queueStore('b').restoreQueue()).length, 1)
      t.is((await store.flowStore('b').restoreFlows()).inbound.length, 1)
      // A new session under the old id starts empty.
      await store.sessionSaved(session('a'))
      t.deepEqual((await store.restoreSessions()).find(r => r.session.clientId === 'a')?.subscriptions, [])
    })
  })

  test(`${name}: retained messages are replaced per topic and cleared with undefined`, async t => {
    await run(async store => {
      await store.retainedChanged('a', { message: { ...message('a', 1, 'one'), retain: true }, receivedAt: 1 })
      await store.retainedChanged('a', { message: { ...message('a', 2, 'two'), retain: true }, receivedAt: 2 })
      await store.retainedChanged('b', { message: { ...message('b', 0), retain: true }, receivedAt: 3 })
      await store.retainedChanged('b', undefined)
      await store.retainedChanged('never', undefined)
      t.deepEqual(await store.restoreRetained(), [{ message: { ...message('a', 2, 'two'), retain: true }, receivedAt: 2 }])
    })
  })

  test(`${name}: flush completes; a closed store refuses changes with an error`, async t => {
    const store = await harness.make()
    await store.sessionSaved(session('a'))
    await store.flush()
    await store.close()
    await t.throwsAsync(async () => { await store.sessionSaved(session('b')) })
    await t.throwsAsync(async () => { await store.queueStore('a').messageQueued({ seq: 1, message: message('x', 1), queuedAt: 1 }) })
  })

  const reopen = harness.reopen
  if (reopen !== undefined) {
    test(`${name}: everything written survives a reopen`, async t => {
      const first = await harness.make()
      await first.sessionSaved(session('a', { disconnectedAt: 5 }))
      await first.subscriptionAdded('a', { topicFilter: 'x/#', qos: 2 })
      await first.queueStore('a').messageQueued({ seq: 4, message: message('x/1', 2), queuedAt: 9 })
      await first.retainedChanged('r', { message: { ...message('r', 1), retain: true }, receivedAt: 11 })
      await first.flush()
      const second = await reopen(first)
      try {
        t.deepEqual(await second.restoreSessions(), [{ session: session('a', { disconnectedAt: 5 }), subscriptions: [{ topicFilter: 'x/#', qos: 2 }] }])
        t.deepEqual(await second.queueStore('a').restoreQueue(), [{ seq: 4, message: message('x/1', 2), queuedAt: 9 }])
        t.deepEqual(await second.restoreRetained(), [{ message: { ...message('r', 1), retain: true }, receivedAt: 11 }])
      } finally { await second.close() }
    })
  }
}
