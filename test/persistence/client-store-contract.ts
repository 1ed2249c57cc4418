/**
 * The contract every client store passes (ARCHITECTURE rule 8): outgoing in-flight flows, the
 * inbound QoS 2 ids and the offline queue of one client. `reopen`, when given, opens the same
 * data again after the first store was closed (a restarted process): everything must be there.
 *
 *   clientStoreContract(test, 'memory', { make: () => memoryClientStore() })
 */
import type { TestFn } from 'ava'
import { StorageError } from '../../lib/core/errors.js'
import type { PacketId } from '../../lib/core/ids.js'
import type { ClientStore } from '../../lib/persistence/contract-client.js'
import type { ApplicationMessage, AwaitingPubcomp, AwaitingPuback, AwaitingPubrec, AwaitingPubrel } from '../../lib/qos/types.js'

const id = (n: number): PacketId => n as PacketId
const message = (topic: string, qos: 0 | 1 | 2): ApplicationMessage => ({
  topic,
  payload: Buffer.from([0, 1, 2, 255]),
  qos,
  retain: qos === 2,
  properties: { contentType: 'application/octet-stream', correlationData: Buffer.from('c'), userProperties: [['x', '1'], ['x', '2']], messageExpiryInterval: 10 }
})
const puback = (n: number): AwaitingPuback => ({ state: 'AwaitingPuback', packetId: id(n), message: message(`o/${n}`, 1) })
const pubrec = (n: number): AwaitingPubrec => ({ state: 'AwaitingPubrec', packetId: id(n), message: message(`o/${n}`, 2) })
const pubcomp = (n: number): AwaitingPubcomp => ({ state: 'AwaitingPubcomp', packetId: id(n) })
const pubrel = (n: number): AwaitingPubrel => ({ state: 'AwaitingPubrel', packetId: id(n) })

export interface ClientStoreHarness {
  make: () => ClientStore | Promise<ClientStore>
  /** A new store over the data of `old` (already closed by the suite). */
  reopen?: (old: ClientStore) => ClientStore | Promise<ClientStore>
}

export function clientStoreContract (test: TestFn, name: string, harness: ClientStoreHarness): void {
  const run = async (body: (store: ClientStore) => Promise<void>): Promise<void> => {
    const store = await harness.make()
    try { await body(store) } finally { await store.close() }
  }

  test(`${name}: a new store holds no flow and no queued message`, async t => {
    await run(async store => {
      t.deepEqual(await store.restoreFlows(), { outbound: [], inbound: [] })
      t.deepEqual(await store.restoreQueue(), [])
    })
  })

  test(`${name}: outbound flows keep their first-send order through AwaitingPubrec -> AwaitingPubcomp; ended ones are gone`, async t => {
    await run(async store => {
      await store.outboundFlowChanged(pubrec(9))
      await store.outboundFlowChanged(puback(2))
      await store.outboundFlowChanged(pubrec(40000))
      await store.outboundFlowChanged(pubcomp(9))
      await store.outboundFlowEnded(id(2))
      await store.outboundFlowEnded(id(7)) // unknown: ignored
      t.deepEqual((await store.restoreFlows()).outbound, [pubcomp(9), pubrec(40000)])
    })
  })

  test(`${name}: inbound QoS 2 ids are kept until released, in the order they started`, async t => {
    await run(async store => {
      await store.inboundFlowStarted(pubrel(5))
      await store.inboundFlowStarted(pubrel(1))
      await store.inboundFlowStarted(pubrel(3))
      await store.inboundFlowEnded(id(1))
      await store.inboundFlowEnded(id(99))
      t.deepEqual((await store.restoreFlows()).inbound, [pubrel(5), pubrel(3)])
    })
  })

  test(`${name}: the offline queue restores in seq order with messages intact; removed ones are gone`, async t => {
    await run(async store => {
      await store.messageQueued({ seq: 1, message: message('q/1', 1), queuedAt: 1000 })
      await store.messageQueued({ seq: 2, message: message('q/2', 0), queuedAt: 1001 })
      await store.messageQueued({ seq: 10, message: message('q/10', 2), queuedAt: 1002 })
      await store.queuedMessageRemoved(2)
      await store.queuedMessageRemoved(77)
      t.deepEqual(await store.restoreQueue(), [
        { seq: 1, message: message('q/1', 1), queuedAt: 1000 },
        { seq: 10, message: message('q/10', 2), queuedAt: 1002 }
      ])
    })
  })

  test(`${name}: discardFlows forgets every flow both ways (Clean Start) and keeps the queue`, async t => {
    await run(async store => {
      await store.outboundFlowChanged(puback(1))
      await store.inboundFlowStarted(pubrel(2))
      await store.messageQueued({ seq: 1, message: message('q', 1), queuedAt: 5 })
      await store.discardFlows()
      t.deepEqual(await store.restoreFlows(), { outbound: [], inbound: [] })
      t.is((await store.restoreQueue()).length, 1)
    })
  })

  test(`${name}: inbound and outbound calls may interleave (separate runners) without losing either`, async t => {
    await run(async store => {
      await Promise.all([
        store.outboundFlowChanged(puback(1)), store.inboundFlowStarted(pubrel(1)),
        store.outboundFlowChanged(pubrec(2)), store.inboundFlowEnded(id(1)), store.inboundFlowStarted(pubrel(4))
      ])
      const flows = await store.restoreFlows()
      t.deepEqual(flows.outbound, [puback(1), pubrec(2)])
      t.deepEqual(flows.inbound, [pubrel(4)])
    })
  })

  test(`${name}: a closed store fails with StorageError`, async t => {
    const store = await harness.make()
    await store.close()
    const attempt = async (): Promise<void> => { await store.outboundFlowChanged(puback(1)) }
    await t.throwsAsync(attempt, { instanceOf: StorageError })
  })

  const reopen = harness.reopen
  if (reopen !== undefined) {
    test(`${name}: everything written survives closing and reopening (a restarted client)`, async t => {
      const first = await harness.make()
      await first.outboundFlowChanged(pubrec(3))
      await first.outboundFlowChanged(puback(4))
      await first.outboundFlowChanged(pubcomp(3))
      await first.inboundFlowStarted(pubrel(8))
      await first.messageQueued({ seq: 1, message: message('q/1', 2), queuedAt: 7 })
      await first.close()
      const second = await reopen(first)
      try {
        t.deepEqual(await second.restoreFlows(), { outbound: [pubcomp(3), puback(4)], inbound: [pubrel(8)] })
        t.deepEqual(await second.restoreQueue(), [{ seq: 1, message: message('q/1', 2), queuedAt: 7 }])
      } finally {
        await second.close()
      }
    })
  }
}
