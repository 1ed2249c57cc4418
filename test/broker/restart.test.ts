/**
 * A broker restarted on the same store (two brokers in turn over one MemoryBackend; the durable
 * backend runs the same scenarios) gets back its sessions, subscriptions, queued messages,
 * in-flight flows, retained messages and wills.
 */
import test, { type ExecutionContext } from 'ava'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../../lib/core/clock.js'
import type { BrokerPersistence } from '../../lib/persistence/contract-broker.js'
import { openLmdbBackend } from '../../lib/persistence/lmdb.js'
import { MemoryBackend } from '../../lib/persistence/memory.js'
import { startBroker } from '../../spec-tests/_harness/broker.js'

/**
 * A store and its restart: memory hands the same object to the next broker; lmdb closes the
 * environment and opens the directory again, as a new process would.
 */
interface Stores { first: () => Promise<BrokerPersistence>, restart: (old: BrokerPersistence) => Promise<BrokerPersistence>, done: () => Promise<void> }
type Scenario = (t: ExecutionContext, stores: Stores) => Promise<void>

const memory = (): Stores => ({ first: async () => new MemoryBackend(), restart: async (old) => old, done: async () => {} })
function lmdb (): Stores {
  const path = mkdtempSync(join(tmpdir(), 'qosmos-restart-'))
  let open: BrokerPersistence | undefined
  return {
    first: async () => (open = await openLmdbBackend({ path })),
    restart: async (old) => { await old.close(); return (open = await openLmdbBackend({ path })) },
    done: async () => { await open?.close(); rmSync(path, { recursive: true, force: true }) }
  }
}

/** Registers a scenario for the memory backend (titled with its spec IDs) and for lmdb. */
function scenario (title: string, lmdbTitle: string, run: Scenario): void {
  for (const [name, make] of [[title, memory], [lmdbTitle, lmdb]] as const) {
    test(name, async t => {
      const stores = make()
      try { await run(t, stores) } finally { await stores.done() }
    })
  }
}

const SESSION = { clean: false, properties: { sessionExpiryInterval: 300 } }

scenario('v5 [MQTT-4.1.0-1] a persistent session survives a restart: subscriptions kept, messages queued while offline delivered in order', 'lmdb: a persistent session survives a restart with its subscriptions and offline queue', async (t, stores) => {
  let persistence = await stores.first()
  const first = await startBroker({ persistence })
  try {
    const sub = await first.connected(5, { clientId: 'keeper', ...SESSION })
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'q/#', qos: 1 }] })
    await sub.expect('suback')
    await sub.disconnect()
    const pub = await first.connected(5)
    for (let i = 0; i < 3; i++) {
      pub.send({ type: 'publish', topic: `q/${i}`, payload: Buffer.from(`m${i}`), qos: 1, packetId: i + 1, retain: false, dup: false })
      await pub.expect('puback')
    }
  } finally { await first.close() }

  persistence = await stores.restart(persistence)
  const second = await startBroker({ persistence })
  try {
    const sub = await second.client(5)
    const ack = await sub.connect({ clientId: 'keeper', ...SESSION })
    t.true(ack.sessionPresent)
    const got = []
    for (let i = 0; i < 3; i++) {
      const p = await sub.expect('publish')
      got.push(p.payload.toString())
      if (p.packetId !== undefined) sub.send({ type: 'puback', packetId: p.packetId, reasonCode: 0 })
    }
    t.deepEqual(got, ['m0', 'm1', 'm2'])
    // The subscription itself came back: a new message is routed to it.
    const pub = await second.connected(5)
    pub.send({ type: 'publish', topic: 'q/new', payload: Buffer.from('after'), qos: 0, retain: false, dup: false })
    t.is((await sub.expect('publish')).payload.toString(), 'after')
  } finally { await second.close() }
})

scenario('v3.1.1 [MQTT-4.4.0-1] a QoS 1 message in flight at shutdown is resent with DUP after the restart', 'lmdb: a QoS 1 message in flight at shutdown is resent with DUP after the restart', async (t, stores) => {
  let persistence = await stores.first()
  const first = await startBroker({ persistence })
  try {
    const sub = await first.connected(4, { clientId: 'slow', clean: false })
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'f', qos: 1 }] })
    await sub.expect('suback')
    const pub = await first.connected(4)
    pub.send({ type: 'publish', topic: 'f', payload: Buffer.from('unacked'), qos: 1, packetId: 9, retain: false, dup: false })
    const p = await sub.expect('publish')
    t.false(p.dup)
    // No PUBACK: the flow is still AwaitingPuback when the broker stops.
  } finally { await first.close() }

  persistence = await stores.restart(persistence)
  const second = await startBroker({ persistence })
  try {
    const sub = await second.client(4)
    t.true((await sub.connect({ clientId: 'slow', clean: false })).sessionPresent)
    const again = await sub.expect('publish')
    t.true(again.dup)
    t.is(again.payload.toString(), 'unacked')
    t.is(again.qos, 1)
  } finally { await second.close() }
})

scenario('v5 [MQTT-3.3.1-5] retained messages survive a restart; a cleared one stays cleared', 'lmdb: retained messages survive a restart; a cleared one stays cleared', async (t, stores) => {
  let persistence = await stores.first()
  const first = await startBroker({ persistence })
  try {
    const pub = await first.connected(5)
    for (const [topic, body] of [['r/a', 'A'], ['r/b', 'B'], ['r/b', '']] as const) {
      pub.send({ type: 'publish', topic, payload: Buffer.from(body), qos: 1, packetId: 1, retain: true, dup: false })
      await pub.expect('puback')
    }
  } finally { await first.close() }
  persistence = await stores.restart(persistence)
  const second = await startBroker({ persistence })
  try {
    const sub = await second.connected(5)
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'r/+', qos: 1 }] })
    await sub.expect('suback')
    const p = await sub.expect('publish')
    t.is(p.topic, 'r/a')
    t.true(p.retain)
    t.true(await sub.quiet(200))
  } finally { await second.close() }
})

scenario('v5 [MQTT-3.1.2-8] a will whose connection was cut by the shutdown is published after the restart, to a persistent subscriber', 'lmdb: a will cut by the shutdown is published after the restart', async (t, stores) => {
  let persistence = await stores.first()
  const first = await startBroker({ persistence })
  try {
    const watcher = await first.connected(5, { clientId: 'watcher', ...SESSION })
    watcher.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'wills/#', qos: 1 }] })
    await watcher.expect('suback')
    await watcher.disconnect()
    await first.connected(5, {
      clientId: 'mortal',
      ...SESSION,
      will: { topic: 'wills/mortal', payload: Buffer.from('lost'), qos: 1, retain: false }
    })
  } finally { await first.close() }
  persistence = await stores.restart(persistence)
  const second = await startBroker({ persistence })
  try {
    const watcher = await second.client(5)
    t.true((await watcher.connect({ clientId: 'watcher', ...SESSION })).sessionPresent)
    const p = await watcher.expect('publish')
    t.is(p.topic, 'wills/mortal')
    t.is(p.payload.toString(), 'lost')
  } finally { await second.close() }
})

scenario('v5 [MQTT-4.1.0-2] session expiry counts across a restart by the clock: an expired session is gone, a live one resumes', 'lmdb: session expiry counts across a restart by the clock', async (t, stores) => {
  let persistence = await stores.first()
  const clock = new ManualClock(1_000_000)
  const first = await startBroker({ persistence, clock })
  try {
    for (const [clientId, expiry] of [['short', 10], ['long', 1000]] as const) {
      const c = await first.connected(5, { clientId, clean: false, properties: { sessionExpiryInterval: expiry } })
      await c.disconnect()
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  } finally { await first.close() }
  clock.advance(60_000) // the broker was down for a minute
  persistence = await stores.restart(persistence)
  const second = await startBroker({ persistence, clock })
  try {
    const short = await second.client(5)
    t.false((await short.connect({ clientId: 'short', clean: false, properties: { sessionExpiryInterval: 10 } })).sessionPresent)
    const long = await second.client(5)
    t.true((await long.connect({ clientId: 'long', clean: false, properties: { sessionExpiryInterval: 1000 } })).sessionPresent)
  } finally { await second.close() }
})

test('a clean session (expiry 0) is never written to the store', async t => {
  const persistence = new MemoryBackend()
  const b = await startBroker({ persistence })
  try {
    const c = await b.connected(5, { clientId: 'fleeting' })
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'x', qos: 1 }] })
    await c.expect('suback')
    t.deepEqual(await persistence.restoreSessions(), [])
  } finally { await b.close() }
})
