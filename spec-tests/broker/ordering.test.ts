/**
 * Message ordering through the real broker (4.6): messages of one publisher on one topic reach a
 * subscriber in the order they were published, at each QoS, also across a reconnect of the
 * subscriber's persistent session.
 */
import test from 'ava'
import diagnostics from 'node:diagnostics_channel'
import { startBroker } from '../_harness/broker.js'
import { publish, publishPacket, receive, subscribe, text } from '../_harness/flows.js'

const VERSIONS = [4, 5] as const

/** Resolves when the broker reports the session of `clientId` detached (qosmos:broker:disconnect). */
async function detachedFrom (clientId: string): Promise<void> {
  const channel = diagnostics.channel('qosmos:broker:disconnect')
  await new Promise<void>((resolve) => {
    const listener = (message: unknown): void => {
      if ((message as { clientId?: string }).clientId !== clientId) return
      channel.unsubscribe(listener)
      resolve()
    }
    channel.subscribe(listener)
  })
}

function persistent (v: 4 | 5, clientId: string): Record<string, unknown> {
  return v === 5 ? { clientId, clean: false, properties: { sessionExpiryInterval: 300 } } : { clientId, clean: false }
}

test('v3.1.1 [MQTT-4.6.0-5] [MQTT-4.6.0-6] v5 [MQTT-4.6.0-5] [MQTT-4.6.0-6] each topic is ordered: messages of one QoS arrive in publish order', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const sub = await b.connected(v)
      await subscribe(sub, ['ord/#'], { qos: 2 })
      const pub = await b.connected(v)
      const N = 60
      for (const qos of [0, 1, 2] as const) {
        // Sent back to back, without waiting for acknowledgements.
        for (let i = 0; i < N; i++) pub.send(publishPacket(`ord/${qos}`, String(i), { qos }))
        const got = await receive(sub, N)
        t.deepEqual(got.map(text), Array.from({ length: N }, (_x, i) => String(i)), `QoS ${qos}`)
        for (const p of got) if (p.qos > 0) sub.send(p.qos === 1 ? { type: 'puback', packetId: p.packetId as number } : { type: 'pubrec', packetId: p.packetId as number })
        if (qos === 2) {
          for (let i = 0; i < N; i++) sub.send({ type: 'pubcomp', packetId: (await sub.expect('pubrel')).packetId })
        }
      }
      // The publisher's acknowledgements (QoS 1 PUBACKs, QoS 2 PUBRECs) come in order too.
      const acks = pub.queued.filter(p => p.type === 'puback' || p.type === 'pubrec')
      t.is(acks.length, 2 * N)
    }
  } finally { await b.close() }
})

test('v3.1.1 [MQTT-4.6.0-6] [MQTT-4.6.0-1] v5 [MQTT-4.6.0-5] [MQTT-4.6.0-6] order per topic holds across a reconnect: resent messages first, then the queued ones, no gaps', async t => {
  const b = await startBroker()
  try {
    for (const v of VERSIONS) {
      const clientId = `ord-r-${v}`
      const sub = await b.connected(v, persistent(v, clientId))
      await subscribe(sub, ['ordr/t'], { qos: 1 })
      const pub = await b.connected(v)
      for (let i = 0; i < 10; i++) await publish(pub, 'ordr/t', String(i), { qos: 1 })
      // Take 10, acknowledge the first 4, lose the connection.
      const first = await receive(sub, 10)
      for (const p of first.slice(0, 4)) sub.send({ type: 'puback', packetId: p.packetId as number })
      await sub.quiet(100)
      // Publish 10..19 only once the broker has detached the session: one routed in the same
      // loop turn as the lost connection's close could still go out on it, and would then be
      // resent with DUP on resume, as it must (the race, not the broker, would fail the test).
      const detached = detachedFrom(clientId)
      sub.destroy()
      await detached
      for (let i = 10; i < 20; i++) await publish(pub, 'ordr/t', String(i), { qos: 1 })
      const back = await b.client(v)
      t.true((await back.connect(persistent(v, clientId))).sessionPresent)
      const again = await receive(back, 16)
      for (const p of again) back.send({ type: 'puback', packetId: p.packetId as number })
      t.deepEqual(again.map(text), Array.from({ length: 16 }, (_x, i) => String(i + 4)))
      t.true(again.slice(0, 6).every(p => p.dup), 'the six unacknowledged ones are resends')
      t.true(again.slice(6).every(p => !p.dup))
    }
  } finally { await b.close() }
})
