/**
 * The qosmos client against aedes, in this process on a loopback TCP server. aedes speaks MQTT
 * 3.1.1 only (its 5.0 column shows the refusal of the client's v5 CONNECT) and has no shared
 * subscriptions (the shared row shows what it does with a $share filter instead).
 */
import { delay } from '../spec-tests/_harness/broker.js'
import { aedesBroker } from './_support/brokers.js'
import { inbox, qosmosClient, type Inbox } from './_support/client-side.js'
import type { ClientCase } from './_support/client-cases.js'
import { registerClientSuite } from './_support/client-suite.js'
import { publisher } from './_support/qosmos.js'

/** $share/g/sh/t is accepted, but as a plain filter: messages on sh/t reach no member, a message on the literal topic reaches every member. */
const noSharedSubscriptions: ClientCase = async ({ t, s, port, v, id, raw }) => {
  const members: Inbox[] = []
  for (const n of ['a', 'b']) {
    const client = await qosmosClient(s, port, v, { clientId: `${id}-${n}` })
    const sub = await client.subscribe('$share/g/sh/t', { qos: 1 })
    t.deepEqual(sub.granted, [1], 'the $share filter is granted')
    members.push(inbox(client))
  }
  const pub = await publisher(raw, v)
  for (const p of ['m0', 'm1', 'm2']) await pub.publish({ topic: 'sh/t', payload: p, qos: 1 })
  await pub.publish({ topic: '$share/g/sh/t', payload: 'literal', qos: 1 })
  await Promise.all(members.map(async m => await m.waitFor(1)))
  await delay(300)
  t.deepEqual(members.map(m => m.messages.map(x => [x.topic, x.payload.toString()])), [
    [['$share/g/sh/t', 'literal']],
    [['$share/g/sh/t', 'literal']]
  ], 'no member got a message published on sh/t; each got the one published on the literal $share topic')
}

registerClientSuite(aedesBroker, import.meta.url, {
  notApplicable: {
    shared: {
      note: 'aedes 1.x has no shared subscriptions: $share/g/sh/t is granted as a plain filter, so sh/t reaches no member',
      body: noSharedSubscriptions
    }
  }
})
