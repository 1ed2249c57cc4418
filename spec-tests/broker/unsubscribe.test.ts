/**
 * UNSUBSCRIBE and UNSUBACK through the real broker (3.10, 3.11).
 */
import test from 'ava'
import { startBroker } from '../_harness/broker.js'
import { closedWith, frame, publish, receive, str, subscribe, u16, unsubscribe } from '../_harness/flows.js'

const VERSIONS = [4, 5] as const

test('v3.1.1 [MQTT-3.10.4-4] [MQTT-3.10.4-5] v5 [MQTT-3.10.4-4] [MQTT-3.10.4-5] every UNSUBSCRIBE gets an UNSUBACK with its packet identifier, also when nothing was removed', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      await subscribe(c, ['u/a'])
      for (const [packetId, filter] of [[7, 'u/a'], [65535, 'u/never'], [8, 'u/a']] as const) {
        c.send({ type: 'unsubscribe', packetId, topicFilters: [filter] })
        const ack = await c.expect('unsuback')
        t.is(ack.packetId, packetId)
      }
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.10.4-6] v5 [MQTT-3.10.4-6] [MQTT-3.11.3-1] [MQTT-3.11.3-2] a multi-filter UNSUBSCRIBE gets one UNSUBACK; v5 gives one code per filter, in order', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      await subscribe(c, ['mu/a', 'mu/b', 'mu/#'])
      const ack = await unsubscribe(c, ['mu/b', 'mu/none', 'mu/#', 'mu/b'])
      if (v === 5) t.deepEqual(ack.reasonCodes, [0x00, 0x11, 0x00, 0x11])
      t.true(await c.quiet(150), 'a single UNSUBACK')
      const pub = await b.connected(v)
      await publish(pub, 'mu/b', 'x', { qos: 1 })
      await publish(pub, 'mu/a', 'y', { qos: 1 })
      const [p] = await receive(c, 1)
      t.is(p?.topic, 'mu/a', 'only the subscription not named is left')
      t.true(await c.quiet(200))
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.10.4-1] v5 [MQTT-3.10.4-1] UNSUBSCRIBE removes only the subscription whose filter is the same, character for character', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      await subscribe(c, ['cc/+/x', 'cc/A/x'])
      const ack = await unsubscribe(c, ['cc/a/x', 'cc/#', 'cc/+/x/'])
      if (v === 5) t.deepEqual(ack.reasonCodes, [0x11, 0x11, 0x11], 'wildcards in UNSUBSCRIBE are not expanded')
      const pub = await b.connected(v)
      await publish(pub, 'cc/b/x', '1', { qos: 1 })
      t.is((await receive(c, 1))[0]?.topic, 'cc/b/x', 'cc/+/x is still there')
      const ack2 = await unsubscribe(c, ['cc/+/x'])
      if (v === 5) t.deepEqual(ack2.reasonCodes, [0x00])
      await publish(pub, 'cc/b/x', '2', { qos: 1 })
      await publish(pub, 'cc/A/x', '3', { qos: 1 })
      const [p] = await receive(c, 1)
      t.is(p?.topic, 'cc/A/x', 'cc/A/x is still there, cc/+/x is gone')
      t.true(await c.quiet(200))
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.10.4-2] v5 [MQTT-3.10.4-2] after UNSUBSCRIBE no new message is queued for the subscription, also for an offline session', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const clientId = `unsub-q-${v}`
      const fields = v === 5 ? { clientId, clean: false, properties: { sessionExpiryInterval: 60 } } : { clientId, clean: false }
      const c = await b.connected(v, fields)
      await subscribe(c, ['uq/keep', 'uq/drop'], { qos: 1 })
      await unsubscribe(c, ['uq/drop'])
      await c.disconnect()
      const pub = await b.connected(v)
      await publish(pub, 'uq/drop', 'gone', { qos: 1 })
      await publish(pub, 'uq/keep', 'kept', { qos: 1 })
      const back = await b.client(v)
      t.true((await back.connect(fields)).sessionPresent)
      const [p] = await receive(back, 1)
      t.is(p?.topic, 'uq/keep')
      t.true(await back.quiet(200))
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.10.4-3] v5 [MQTT-3.10.4-3] QoS 1 and QoS 2 deliveries started before UNSUBSCRIBE are completed', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      await subscribe(c, ['ud/#'], { qos: 2 })
      const pub = await b.connected(v)
      await publish(pub, 'ud/1', 'one', { qos: 1 })
      await publish(pub, 'ud/2', 'two', { qos: 2 })
      const [p1, p2] = await receive(c, 2)
      if (p1 === undefined || p2 === undefined) throw new Error('two deliveries expected')
      await unsubscribe(c, ['ud/#'])
      c.send({ type: 'pubrec', packetId: p2.packetId as number })
      const rel = await c.expect('pubrel')
      t.is(rel.packetId, p2.packetId as number, 'the QoS 2 flow goes on')
      c.send({ type: 'pubcomp', packetId: rel.packetId })
      c.send({ type: 'puback', packetId: p1.packetId as number })
      t.true(await c.quiet(200))
      t.false(c.isClosed)
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.10.1-1] v5 [MQTT-3.10.1-1] an UNSUBSCRIBE whose fixed-header flags are not 0010 closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      c.write(frame(0xa0, u16(1), v === 5 ? [0] : [], str('f')))
      const code = await closedWith(c)
      if (v === 5) t.true(code === undefined || code === 0x81)
      t.false(c.queued.some(p => p.type === 'unsuback'))
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.10.3-1] v5 [MQTT-3.10.3-1] an UNSUBSCRIBE filter that is not well-formed UTF-8 closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      c.write(frame(0xa2, u16(1), v === 5 ? [0] : [], str([0xc0, 0xaf])))
      await c.closed()
      t.false(c.queued.some(p => p.type === 'unsuback'))
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-3.10.3-2] v5 [MQTT-3.10.3-2] an UNSUBSCRIBE without any filter closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      c.write(frame(0xa2, u16(1), v === 5 ? [0] : []))
      await c.closed()
      t.false(c.queued.some(p => p.type === 'unsuback'))
    }
  } finally { await b.close() }
})
