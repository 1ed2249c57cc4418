import test from 'ava'
import { StorageError } from '../../lib/core/errors.js'
import { toPacketId } from '../../lib/core/ids.js'
import { MemoryBackend } from '../../lib/persistence/memory.js'
import { brokerStoreContract } from './broker-store-contract.js'
import { flowStoreContract } from './flow-store-contract.js'

flowStoreContract(test, 'memory', () => new MemoryBackend())

test('memory: changes complete synchronously (no promise on the per-message path)', t => {
  const store = new MemoryBackend().flowStore('c1')
  t.is(store.outboundFlowChanged({ state: 'AwaitingPubcomp', packetId: toPacketId(1) }), undefined)
  t.is(store.inboundFlowStarted({ state: 'AwaitingPubrel', packetId: toPacketId(1) }), undefined)
  t.is(store.outboundFlowEnded(toPacketId(1)), undefined)
  t.is(store.inboundFlowEnded(toPacketId(1)), undefined)
  t.is(store.discardFlows(), undefined)
})

test('memory: a closed backend throws StorageError synchronously', async t => {
  const backend = new MemoryBackend()
  const store = backend.flowStore('c1')
  await backend.close()
  t.throws(() => store.outboundFlowEnded(toPacketId(1)), { instanceOf: StorageError })
})

brokerStoreContract(test, 'memory', { make: () => new MemoryBackend() })
