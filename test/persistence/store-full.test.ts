/**
 * A store whose disk is below its reserve, through a real broker and a real client: a message
 * that may have to be stored is refused before it reaches anyone, with the answer each protocol
 * level allows, and everything else goes on. The store's fullness is switched by the test
 * (BrokerPersistence.checkRoom / ClientStore.checkRoom); one test uses the lmdb store with a
 * reserve no disk has. Runs without root; lmdb-disk-full.test.ts fills real disks on a tmpfs.
 */
import test, { type ExecutionContext } from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '../../lib/client/index.js'
import { StorageFullError } from '../../lib/core/errors.js'
import type { BrokerPersistence } from '../../lib/persistence/contract-broker.js'
import { memoryClientStore } from '../../lib/persistence/client-memory.js'
import { openLmdbBackend } from '../../lib/persistence/lmdb.js'
import { MemoryBackend } from '../../lib/persistence/memory.js'
import { startBroker, type TestBroker } from '../../spec-tests/_harness/broker.js'

/** A broker on a memory store whose disk the test declares full or not. */
async function brokerWithSwitch (t: ExecutionContext): Promise<{ b: TestBroker, disk: { full: boolean } }> {
  const disk = { full: false }
  const store: BrokerPersistence = Object.assign(new MemoryBackend(), {
    checkRoom: () => disk.full ? new StorageFullError('test: the disk is below its reserve') : undefined
  })
  const b = await startBroker({ persistence: store, sysInterval: 0 })
  t.teardown(async () => { await b.close() })
  return { b, disk }
}

const keeperFields = { clientId: 'keeper', clean: false, properties: { sessionExpiryInterval: 3600 } }

test('v5 [MQTT-4.3.2-5] a QoS 1 message while the store is full: PUBACK 0x97 Quota exceeded, delivered to no one, the publisher and the subscribers stay connected, and the id is free for a new message', async t => {
  const { b, disk } = await brokerWithSwitch(t)
  const keeper = await b.connected(5, keeperFields)
  keeper.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'full/#', qos: 1 }] })
  await keeper.expect('suback')
  const pub = await b.connected(5)
  disk.full = true
  pub.send({ type: 'publish', topic: 'full/1', payload: Buffer.from('refused'), qos: 1, packetId: 7, retain: false, dup: false })
  const refused = await pub.expect('puback')
  t.is(refused.reasonCode, 0x97)
  t.is(refused.properties?.reasonString, 'the server\'s store is full; try again later')
  pub.send({ type: 'publish', topic: 'full/0', payload: Buffer.from('qos0'), qos: 0, retain: false, dup: false })
  const q0 = await keeper.expect('publish')
  t.is(q0.payload.toString(), 'qos0', 'a QoS 0 message is not stored, so it is still delivered, and nothing refused came before it')
  disk.full = false
  pub.send({ type: 'publish', topic: 'full/2', payload: Buffer.from('accepted'), qos: 1, packetId: 7, retain: false, dup: false })
  t.is((await pub.expect('puback')).reasonCode ?? 0, 0, 'the same id, once space is back: a new message, accepted')
  const got = await keeper.expect('publish')
  t.is(got.payload.toString(), 'accepted')
})

test('v5 [MQTT-4.3.3-9] a QoS 2 message while the store is full: PUBREC 0x97 and no flow kept; a resend of a QoS 2 message taken before the store filled is answered as usual [MQTT-4.3.3-10]', async t => {
  const { b, disk } = await brokerWithSwitch(t)
  const watcher = await b.connected(5)
  watcher.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'q2/#', qos: 2 }] })
  await watcher.expect('suback')
  const pub = await b.connected(5)
  pub.send({ type: 'publish', topic: 'q2/taken', payload: Buffer.from('taken'), qos: 2, packetId: 1, retain: false, dup: false })
  t.is((await pub.expect('pubrec')).reasonCode ?? 0, 0)
  const first = await watcher.expect('publish')
  t.is(first.payload.toString(), 'taken')
  disk.full = true
  pub.send({ type: 'publish', topic: 'q2/taken', payload: Buffer.from('taken'), qos: 2, packetId: 1, retain: false, dup: true })
  t.is((await pub.expect('pubrec')).reasonCode ?? 0, 0, 'the resend of a flow already taken is acknowledged again, not refused')
  pub.send({ type: 'publish', topic: 'q2/new', payload: Buffer.from('new'), qos: 2, packetId: 2, retain: false, dup: false })
  t.is((await pub.expect('pubrec')).reasonCode, 0x97)
  pub.send({ type: 'pubrel', packetId: 1 })
  t.is((await pub.expect('pubcomp')).reasonCode ?? 0, 0, 'the flow taken before completes')
  pub.send({ type: 'pubrel', packetId: 2 })
  t.is((await pub.expect('pubcomp')).reasonCode, 0x92, 'the refused one kept no flow: Packet Identifier not found')
  watcher.send({ type: 'pingreq' })
  const next = await watcher.next()
  if (next.type === 'pubrel') t.fail('unexpected')
  t.is(next.type, 'pingresp', 'the watcher got neither the resend nor the refused message')
})

test('v5 a retained message while the store is full: QoS 1 refused with 0x97 and not retained; QoS 0 dropped, neither delivered nor retained', async t => {
  const { b, disk } = await brokerWithSwitch(t)
  const online = await b.connected(5)
  online.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'keep/#', qos: 1 }] })
  await online.expect('suback')
  const pub = await b.connected(5)
  disk.full = true
  pub.send({ type: 'publish', topic: 'keep/1', payload: Buffer.from('x'), qos: 1, packetId: 1, retain: true, dup: false })
  t.is((await pub.expect('puback')).reasonCode, 0x97)
  pub.send({ type: 'publish', topic: 'keep/0', payload: Buffer.from('y'), qos: 0, retain: true, dup: false })
  pub.send({ type: 'pingreq' })
  await pub.expect('pingresp') // the QoS 0 PUBLISH before it was handled while the store was full
  disk.full = false
  online.send({ type: 'pingreq' })
  t.is((await online.next()).type, 'pingresp', 'neither was delivered')
  const late = await b.connected(5)
  late.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'keep/#', qos: 1 }] })
  await late.expect('suback')
  late.send({ type: 'pingreq' })
  t.is((await late.next()).type, 'pingresp', 'neither was retained')
})

test('v3.1.1 a QoS 1 message while the store is full: no PUBACK (3.1.1 has no refusal), the connection is closed so that the client resends it later; a resent QoS 2 message taken before is still answered [MQTT-4.3.3-2]', async t => {
  const { b, disk } = await brokerWithSwitch(t)
  const pub = await b.connected(4)
  pub.send({ type: 'publish', topic: 'full/2', payload: Buffer.from('taken'), qos: 2, packetId: 2, retain: false, dup: false })
  await pub.expect('pubrec')
  disk.full = true
  pub.send({ type: 'publish', topic: 'full/2', payload: Buffer.from('taken'), qos: 2, packetId: 2, retain: false, dup: true })
  await pub.expect('pubrec')
  pub.send({ type: 'publish', topic: 'full/1', payload: Buffer.from('x'), qos: 1, packetId: 1, retain: false, dup: false })
  await t.throwsAsync(pub.next(), undefined, 'nothing is answered')
  await pub.closed()
  t.pass()
})

test('v5 the lmdb store past its reserve: a persistent session still connects and subscribes, and a QoS 1 message is refused with 0x97 before anything is stored', async t => {
  const path = mkdtempSync(join(tmpdir(), 'qosmos-store-full-'))
  const store = await openLmdbBackend({ path, minFreeBytes: 2 ** 52 })
  const b = await startBroker({ persistence: store, sysInterval: 0 })
  t.teardown(async () => { await b.close(); await store.close(); rmSync(path, { recursive: true, force: true }) })
  const keeper = await b.connected(5, keeperFields)
  keeper.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'full/#', qos: 1 }] })
  t.deepEqual((await keeper.expect('suback')).reasonCodes, [1])
  const pub = await b.connected(5)
  pub.send({ type: 'publish', topic: 'full/1', payload: Buffer.alloc(100), qos: 1, packetId: 1, retain: true, dup: false })
  t.is((await pub.expect('puback')).reasonCode, 0x97)
  t.deepEqual(await store.restoreRetained(), [])
  t.deepEqual(await store.queueStore('keeper').restoreQueue(), [])
  t.truthy(store.checkRoom(0), 'checkRoom names the reason')
})

test('client: with its store below the reserve, publish() at QoS 1 rejects with StorageFullError and starts nothing; the client stays connected, QoS 0 goes out, and QoS 1 works again once there is room', async t => {
  const broker = await startBroker({ sysInterval: 0 })
  const disk = { full: false }
  const store = { ...memoryClientStore(), checkRoom: () => disk.full ? new StorageFullError('test: the disk is below its reserve') : undefined }
  const client = await connect(`mqtt://127.0.0.1:${broker.port}`, { reconnect: false, store })
  t.teardown(async () => { await client.end({ force: true }).catch(() => {}); await broker.close() })
  const errors: Error[] = []
  client.on('error', (e: Error) => { errors.push(e) })
  const watcher = await broker.connected(5)
  watcher.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'c/#', qos: 1 }] })
  await watcher.expect('suback')
  disk.full = true
  await t.throwsAsync(client.publish('c/1', 'refused', { qos: 1 }), { instanceOf: StorageFullError })
  await client.publish('c/0', 'qos0', { qos: 0 })
  t.is((await watcher.expect('publish')).payload.toString(), 'qos0', 'the refused QoS 1 message was never sent')
  t.true(client.connected)
  disk.full = false
  await client.publish('c/2', 'accepted', { qos: 1 })
  t.is((await watcher.expect('publish')).payload.toString(), 'accepted')
  t.deepEqual(errors, [], 'a refusal is the publish call\'s, not a client error')
})
