/**
 * The contract every persistence backend passes (ARCHITECTURE rule 8): the flow part.
 * Usage, in a backend's own test file:
 *
 *   import test from 'ava'
 *   flowStoreContract(test, 'memory', () => new MemoryBackend())
 */
import type { TestFn } from 'ava'
import type { PacketId } from '../../lib/core/ids.js'
import type { PersistenceBackend } from '../../lib/persistence/contract.js'
import type { ApplicationMessage, AwaitingPubcomp, AwaitingPuback, AwaitingPubrec, AwaitingPubrel } from '../../lib/qos/types.js'

const id = (n: number): PacketId => n as PacketId

function message (topic: string, qos: 1 | 2): ApplicationMessage {
  return {
    topic,
    payload: Buffer.from(`payload of ${topic}`),
    qos,
    retain: qos === 2,
    properties: { messageExpiryInterval: 60, contentType: 'text/plain', userProperties: [['a', '1'], ['b', '2']], correlationData: Buffer.from([0, 1, 2]) }
  }
}

const puback = (n: number, topic = `t/${n}`): AwaitingPuback => ({ state: 'AwaitingPuback', packetId: id(n), message: message(topic, 1) })
const pubrec = (n: number, topic = `t/${n}`): AwaitingPubrec => ({ state: 'AwaitingPubrec', packetId: id(n), message: message(topic, 2) })
const pubcomp = (n: number): AwaitingPubcomp => ({ state: 'AwaitingPubcomp', packetId: id(n) })
const pubrel = (n: number): AwaitingPubrel => ({ state: 'AwaitingPubrel', packetId: id(n) })

export function flowStoreContract (test: TestFn, name: string, makeBackend: () => PersistenceBackend | Promise<PersistenceBackend>): void {
  const withBackend = async (run: (backend: PersistenceBackend) => Promise<void>): Promise<void> => {
    const backend = await makeBackend()
    try { await run(backend) } finally { await backend.close() }
  }

  test(`${name}: a session with no flows restores nothing`, async t => {
    await withBackend(async backend => {
      t.deepEqual(await backend.flowStore('nobody').restoreFlows(), { outbound: [], inbound: [] })
    })
  })

  test(`${name}: outbound flows restore in the order they were first stored, messages intact`, async t => {
    await withBackend(async backend => {
      const store = backend.flowStore('c1')
      await store.outboundFlowChanged(pubrec(7))
      await store.outboundFlowChanged(puback(3))
      await store.outboundFlowChanged(puback(65535))
      await store.outboundFlowChanged(pubrec(1))
      const { outbound } = await store.restoreFlows()
      t.deepEqual(outbound, [pubrec(7), puback(3), puback(65535), pubrec(1)])
    })
  })

  test(`${name}: AwaitingPubrec -> AwaitingPubcomp replaces the record and keeps its place in send order`, async t => {
    await withBackend(async backend => {
      const store = backend.flowStore('c1')
      await store.outboundFlowChanged(pubrec(1))
      await store.outboundFlowChanged(puback(2))
      await store.outboundFlowChanged(pubrec(3))
      await store.outboundFlowChanged(pubcomp(1))
      const { outbound } = await store.restoreFlows()
      t.deepEqual(outbound, [pubcomp(1), puback(2), pubrec(3)])
    })
  })

  test(`${name}: ended flows are gone; an id reused after its flow ended goes last`, async t => {
    await withBackend(async backend => {
      const store = backend.flowStore('c1')
      await store.outboundFlowChanged(puback(1))
      await store.outboundFlowChanged(puback(2))
      await store.outboundFlowChanged(pubrec(3))
      await store.outboundFlowEnded(id(1))
      await store.outboundFlowEnded(id(3))
      await store.outboundFlowChanged(pubrec(1, 'again'))
      const { outbound } = await store.restoreFlows()
      t.deepEqual(outbound, [puback(2), pubrec(1, 'again')])
    })
  })

  test(`${name}: ending an unknown flow is not an error`, async t => {
    await withBackend(async backend => {
      const store = backend.flowStore('c1')
      await store.outboundFlowEnded(id(9))
      await store.inboundFlowEnded(id(9))
      t.deepEqual(await store.restoreFlows(), { outbound: [], inbound: [] })
    })
  })

  test(`${name}: inbound flows keep the peer's ids, apart from outbound ones with the same id`, async t => {
    await withBackend(async backend => {
      const store = backend.flowStore('c1')
      await store.inboundFlowStarted(pubrel(5))
      await store.outboundFlowChanged(puback(5))
      await store.inboundFlowStarted(pubrel(65535))
      await store.inboundFlowStarted(pubrel(2))
      await store.inboundFlowEnded(id(65535))
      t.deepEqual(await store.restoreFlows(), { outbound: [puback(5)], inbound: [pubrel(5), pubrel(2)] })
      await store.outboundFlowEnded(id(5))
      t.deepEqual(await store.restoreFlows(), { outbound: [], inbound: [pubrel(5), pubrel(2)] })
    })
  })

  test(`${name}: sessions are isolated by client id, and a new store object sees the same data`, async t => {
    await withBackend(async backend => {
      const a = backend.flowStore('a')
      const b = backend.flowStore('b')
      await a.outboundFlowChanged(puback(1))
      await a.inboundFlowStarted(pubrel(1))
      await b.outboundFlowChanged(pubrec(1, 'b'))
      await b.outboundFlowEnded(id(2))
      t.deepEqual(await backend.flowStore('a').restoreFlows(), { outbound: [puback(1)], inbound: [pubrel(1)] })
      t.deepEqual(await backend.flowStore('b').restoreFlows(), { outbound: [pubrec(1, 'b')], inbound: [] })
      await a.discardFlows()
      t.deepEqual(await backend.flowStore('a').restoreFlows(), { outbound: [], inbound: [] })
      t.deepEqual(await backend.flowStore('b').restoreFlows(), { outbound: [pubrec(1, 'b')], inbound: [] })
    })
  })

  test(`${name}: discardFlows forgets every flow of the session, and the store is usable afterwards`, async t => {
    await withBackend(async backend => {
      const store = backend.flowStore('c1')
      await store.outboundFlowChanged(puback(1))
      await store.outboundFlowChanged(pubcomp(2))
      await store.inboundFlowStarted(pubrel(3))
      await store.discardFlows()
      t.deepEqual(await store.restoreFlows(), { outbound: [], inbound: [] })
      await store.outboundFlowChanged(puback(2))
      t.deepEqual(await store.restoreFlows(), { outbound: [puback(2)], inbound: [] })
    })
  })

  test(`${name}: restored flows are snapshots, not live views`, async t => {
    await withBackend(async backend => {
      const store = backend.flowStore('c1')
      await store.outboundFlowChanged(puback(1))
      const before = await store.restoreFlows()
      await store.outboundFlowChanged(puback(2))
      t.is(before.outbound.length, 1)
    })
  })

  test(`${name}: after close, calls fail instead of silently doing nothing`, async t => {
    const backend = await makeBackend()
    const store = backend.flowStore('c1')
    await backend.close()
    await t.throwsAsync(async () => { await store.outboundFlowChanged(puback(1)) })
    await t.throwsAsync(async () => { await store.restoreFlows() })
  })
}
