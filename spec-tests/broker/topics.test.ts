/**
 * Topic names and filters as the real broker applies them (4.7): `$` topics and wildcards, no
 * normalization, invalid names and filters on the wire. The matching rules themselves are
 * checked at the topic tree in topic-matching.test.ts.
 */
import test from 'ava'
import { startBroker } from '../_harness/broker.js'
import { drain, frame, publish, rawSubscribe, receive, str, subscribe, text, u16 } from '../_harness/flows.js'

const VERSIONS = [4, 5] as const

test('v3.1.1 [MQTT-4.7.2-1] v5 [MQTT-4.7.2-1] filters starting with a wildcard do not match $SYS topics; a $SYS filter does', async t => {
  const b = await startBroker({ sysInterval: 3600 })
  try {
    for (const v of VERSIONS) {
      const wild = await b.connected(v)
      await subscribe(wild, ['#', '+/broker/#', '+/+/uptime'])
      const sys = await b.connected(v)
      await subscribe(sys, ['$SYS/#'])
      const all = await drain(sys, 250)
      t.true(all.length > 0, 'the broker publishes retained $SYS topics')
      t.true(all.every(p => p.type === 'publish' && p.topic.startsWith('$SYS/')))
      const plus = await b.connected(v)
      await subscribe(plus, ['$SYS/+/uptime'])
      t.true((await drain(plus, 200)).length > 0, 'a filter that names $SYS matches at its first level')
      t.is((await drain(wild, 200)).length, 0, "'#' and '+' at the first level do not match them")
    }
  } finally { await b.close() }
})

test('v5 clients cannot publish to topics starting with $ (PUBACK 0x87, nothing forwarded); 3.1.1 clients get a plain PUBACK', async t => {
  const b = await startBroker({ sysInterval: 0 })
  try {
    const spy = await b.connected(5)
    await subscribe(spy, ['$SYS/#', '$other/#'])
    for (const v of VERSIONS) {
      const c = await b.connected(v)
      const code = await publish(c, '$SYS/broker/fake', 'x', { qos: 1, retain: true })
      t.is(code, v === 5 ? 0x87 : 0)
      await publish(c, '$other/x', 'x', { qos: 0 })
    }
    t.true(await spy.quiet(300), 'nothing forwarded, nothing retained')
    const late = await b.connected(5)
    await subscribe(late, ['$SYS/broker/fake'])
    t.true(await late.quiet(200))
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.7.3-4] v5 [MQTT-4.7.3-4] topics are matched without normalizing case, Unicode or spaces', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['Caf\u00e9/ a', 'ACCOUNTS'])
      const pub = await b.connected(v)
      for (const topic of ['Cafe\u0301/ a', 'Caf\u00e9/a', 'caf\u00e9/ a', 'accounts', 'ACCOUNTS ', 'Caf\u00e9/ a']) await publish(pub, topic, topic, { qos: 1 })
      const [p] = await receive(sub, 1)
      t.is(p?.topic, 'Caf\u00e9/ a', 'only the exact topic matched')
      t.true(await sub.quiet(200))
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.7.3-1] v5 [MQTT-4.7.3-1] an empty Topic Name (without a Topic Alias) or Topic Filter closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['#'])
      const p = await b.connected(v)
      p.write(frame(0x30, str(''), v === 5 ? [0] : [], Buffer.from('x')))
      await p.closed()
      const s = await b.connected(v)
      s.write(rawSubscribe(v, 1, [['', 0]]))
      await s.closed()
      t.false(s.queued.some(x => x.type === 'suback'))
      t.is((await drain(sub, 150)).length, 0)
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.7.3-2] v5 [MQTT-4.7.3-2] a Topic Name or Topic Filter holding U+0000 closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['#'])
      const p = await b.connected(v)
      p.write(frame(0x30, str('a\u0000b'), v === 5 ? [0] : [], Buffer.from('x')))
      await p.closed()
      const s = await b.connected(v)
      s.write(rawSubscribe(v, 1, [['a/\u0000', 0]]))
      await s.closed()
      t.false(s.queued.some(x => x.type === 'suback'))
      t.is((await drain(sub, 150)).length, 0)
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.7.1-2] [MQTT-4.7.1-3] v5 [MQTT-4.7.1-1] [MQTT-4.7.1-2] a SUBSCRIBE with a misplaced wildcard closes the connection', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      for (const filter of ['a/#/b', 'a#', 'a/b+', '+a/b', 'a/++']) {
        const c = await b.connected(v)
        c.write(rawSubscribe(v, 2, [['ok/#', 0], [filter, 0]]))
        await c.closed()
        t.false(c.queued.some(x => x.type === 'suback'), `${filter}`)
      }
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.7.3-3] v5 [MQTT-4.7.3-3] a Topic Name of 65,535 bytes is the longest there is, and is delivered whole', async t => {
  const b = await startBroker({ maxPacketSize: 200_000 })
  try {
    for (const v of VERSIONS) {
      const topic = `long/${'x'.repeat(65_535 - 5)}`
      const sub = await b.connected(v)
      await subscribe(sub, ['long/+'])
      const pub = await b.connected(v)
      pub.write(frame(0x30, u16(65_535), Buffer.from(topic), v === 5 ? [0] : [], Buffer.from('p')))
      const [p] = await receive(sub, 1)
      t.is(p?.topic.length, 65_535)
      t.is(p && text(p), 'p')
    }
  } finally { await b.close() }
})
