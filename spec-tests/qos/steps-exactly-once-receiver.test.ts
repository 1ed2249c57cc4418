/**
 * Step table of the exactly-once (QoS 2) receiver, lib/qos/exactly-once-receiver.ts:
 * states {no flow, AwaitingPubrel} x events {PUBLISH, PUBREL, connectionLost, sessionResumed},
 * each PUBLISH taken or refused.
 */
import test from 'ava'
import { exactlyOnceReceiver } from '../../lib/qos/exactly-once-receiver.js'
import type { AwaitingPubrel, ReceiverEvent } from '../../lib/qos/types.js'
import { message, pid, pubcomp, publish, pubrec, pubrel } from './model/fixtures.js'
import { actionLists, orderProblems, registerRows, uncoveredPairs, type Row } from './model/step-table.js'

const ID = pid(5)
const M = message(4, 2)
const held: AwaitingPubrel = { state: 'AwaitingPubrel', packetId: ID }
const withProps = { ...M, properties: { responseTopic: 'reply/here', userProperties: [['b', '2'], ['a', '1']] as const } }

const step = (state: AwaitingPubrel | undefined, event: ReceiverEvent) => () => exactlyOnceReceiver(state, event)
const taken = {
  state: held,
  actions: [
    { type: 'persist', direction: 'inbound', flow: held },
    { type: 'deliver', message: M, packetId: ID },
    { type: 'send', packet: pubrec(5, 0) }
  ]
} as const

const rows: Array<Row<AwaitingPubrel>> = [
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] [MQTT-3.3.4-1] v5 [MQTT-4.3.3-8] [MQTT-3.3.4-1] no flow + PUBLISH: persist AwaitingPubrel, deliver once, then send PUBREC with the same id',
    pair: ['none', 'publishReceived'],
    run: step(undefined, { type: 'publishReceived', packet: publish(M, 5, false) }),
    expect: taken
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-8] no flow + PUBLISH with DUP 1 (the first copy was lost): taken and delivered like a first PUBLISH',
    pair: ['none', 'publishReceived'],
    run: step(undefined, { type: 'publishReceived', packet: publish(M, 5, true) }),
    expect: taken
  },
  {
    title: 'v5 [MQTT-4.3.3-8] [MQTT-3.3.2-17] [MQTT-3.3.2-18] the delivered message keeps the PUBLISH properties, User Properties in order',
    pair: ['none', 'publishReceived'],
    run: step(undefined, { type: 'publishReceived', packet: { ...publish(M, 5, false), properties: withProps.properties } }),
    expect: {
      state: held,
      actions: [{ type: 'persist', direction: 'inbound', flow: held }, { type: 'deliver', message: withProps, packetId: ID }, { type: 'send', packet: pubrec(5, 0) }]
    }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-10] a repeated QoS 2 PUBLISH (DUP 1) is answered with PUBREC and not delivered again',
    pair: ['AwaitingPubrel', 'publishReceived'],
    given: held,
    run: step(held, { type: 'publishReceived', packet: publish(M, 5, true) }),
    expect: { state: held, actions: [{ type: 'send', packet: pubrec(5, 0) }], sameState: true }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-10] until PUBREL, even a DUP 0 PUBLISH with the held id is the same message: PUBREC, no delivery',
    pair: ['AwaitingPubrel', 'publishReceived'],
    given: held,
    run: step(held, { type: 'publishReceived', packet: publish(M, 5, false) }),
    expect: { state: held, actions: [{ type: 'send', packet: pubrec(5, 0) }], sameState: true }
  },
  {
    title: 'v5 [MQTT-4.3.3-10] a repeated PUBLISH of a message already taken is acknowledged with success even if the caller now asks to refuse it',
    pair: ['AwaitingPubrel', 'publishReceived'],
    given: held,
    run: step(held, { type: 'publishReceived', packet: publish(M, 5, true), refuse: 0x97 }),
    expect: { state: held, actions: [{ type: 'send', packet: pubrec(5, 0) }], sameState: true }
  },
  {
    title: 'v5 [MQTT-4.3.3-8] [MQTT-4.3.3-9] [MQTT-3.5.2-1] no flow + PUBLISH refused with 0x87: PUBREC 0x87, nothing delivered, no flow kept',
    pair: ['none', 'publishReceived'],
    run: step(undefined, { type: 'publishReceived', packet: publish(M, 5, false), refuse: 0x87 }),
    expect: { state: undefined, actions: [{ type: 'send', packet: pubrec(5, 0x87) }] }
  },
  {
    title: 'v5 [MQTT-4.3.3-9] a refusal code at the 0x80 boundary refuses',
    pair: ['none', 'publishReceived'],
    run: step(undefined, { type: 'publishReceived', packet: publish(M, 5, false), refuse: 0x80 }),
    expect: { state: undefined, actions: [{ type: 'send', packet: pubrec(5, 0x80) }] }
  },
  {
    title: 'v5 [MQTT-4.3.3-8] a "refusal" below 0x80 is not a refusal: the message is taken and PUBREC says 0x00',
    pair: ['none', 'publishReceived'],
    run: step(undefined, { type: 'publishReceived', packet: publish(M, 5, false), refuse: 0x10 }),
    expect: taken
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-11] [MQTT-4.3.3-12] AwaitingPubrel + PUBREL: forget the id, then send PUBCOMP with the same id',
    pair: ['AwaitingPubrel', 'pubrelReceived'],
    run: step(held, { type: 'pubrelReceived', packet: pubrel(5, 0) }),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'inbound', packetId: ID }, { type: 'send', packet: pubcomp(5, 0) }] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] AwaitingPubrel + PUBREL without reason code (MQTT 3.1.1): forget, then PUBCOMP',
    pair: ['AwaitingPubrel', 'pubrelReceived'],
    run: step(held, { type: 'pubrelReceived', packet: pubrel(5) }),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'inbound', packetId: ID }, { type: 'send', packet: pubcomp(5, 0) }] }
  },
  {
    title: 'v5 [MQTT-4.3.3-11] AwaitingPubrel + PUBREL 0x92 (sender lost the flow): the id is released all the same, PUBCOMP 0x00',
    pair: ['AwaitingPubrel', 'pubrelReceived'],
    run: step(held, { type: 'pubrelReceived', packet: pubrel(5, 0x92) }),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'inbound', packetId: ID }, { type: 'send', packet: pubcomp(5, 0) }] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-11] [MQTT-3.7.2-1] no flow + PUBREL (unknown id): answered with PUBCOMP 0x92 Packet Identifier not found',
    pair: ['none', 'pubrelReceived'],
    run: step(undefined, { type: 'pubrelReceived', packet: pubrel(5, 0) }),
    expect: { state: undefined, actions: [{ type: 'send', packet: pubcomp(5, 0x92) }] }
  },
  {
    title: 'v5 [MQTT-4.4.0-1] AwaitingPubrel + connectionLost: nothing sent, the id stays held',
    pair: ['AwaitingPubrel', 'connectionLost'],
    given: held,
    run: step(held, { type: 'connectionLost' }),
    expect: { state: held, actions: [], sameState: true }
  },
  {
    title: 'v5 [MQTT-4.4.0-1] no flow + connectionLost (QoS 2 receiver): nothing',
    pair: ['none', 'connectionLost'],
    run: step(undefined, { type: 'connectionLost' }),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v3.1.1 [MQTT-4.4.0-1] v5 [MQTT-4.4.0-1] AwaitingPubrel + sessionResumed: the receiver resends nothing (the sender resends PUBLISH or PUBREL), the id stays held',
    pair: ['AwaitingPubrel', 'sessionResumed'],
    given: held,
    run: step(held, { type: 'sessionResumed' }),
    expect: { state: held, actions: [], sameState: true }
  },
  {
    title: 'v3.1.1 [MQTT-4.4.0-1] v5 [MQTT-4.4.0-1] no flow + sessionResumed (QoS 2 receiver): nothing',
    pair: ['none', 'sessionResumed'],
    run: step(undefined, { type: 'sessionResumed' }),
    expect: { state: undefined, actions: [] }
  }
]

registerRows(rows)

test('step table covers every (state, event) pair of the QoS 2 receiver', t => {
  t.deepEqual(uncoveredPairs(rows, ['none', 'AwaitingPubrel'], ['publishReceived', 'pubrelReceived', 'connectionLost', 'sessionResumed']), [])
})

test('ARCHITECTURE rule 4: in every QoS 2 receiver row, persist and deliver precede PUBREC and forget precedes PUBCOMP', t => {
  const lists = actionLists(rows)
  for (const actions of lists) t.deepEqual(orderProblems(actions), [])
  t.true(lists.some(l => l.map(a => a.type).join(',') === 'persist,deliver,send'))
  t.true(lists.some(l => l.map(a => a.type).join(',') === 'forget,send'))
})

test('v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-12] after PUBCOMP, a PUBLISH reusing the id is a new message and is delivered', t => {
  const first = exactlyOnceReceiver(undefined, { type: 'publishReceived', packet: publish(M, 5, false) })
  const done = exactlyOnceReceiver(first.state, { type: 'pubrelReceived', packet: pubrel(5, 0) })
  const next = message(8, 2)
  const again = exactlyOnceReceiver(done.state, { type: 'publishReceived', packet: publish(next, 5, false) })
  t.deepEqual(again.actions.filter(a => a.type === 'deliver'), [{ type: 'deliver', message: next, packetId: ID }])
})

test('v5 [MQTT-4.3.3-9] after a refusing PUBREC, a PUBLISH reusing the id is a new message and is delivered', t => {
  const refused = exactlyOnceReceiver(undefined, { type: 'publishReceived', packet: publish(M, 5, false), refuse: 0x87 })
  const again = exactlyOnceReceiver(refused.state, { type: 'publishReceived', packet: publish(M, 5, true) })
  t.deepEqual(again.actions.filter(a => a.type === 'deliver'), [{ type: 'deliver', message: M, packetId: ID }])
})

test('v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-10] across any number of repeats and resumed sessions before PUBREL, the message is delivered exactly once', t => {
  let state: AwaitingPubrel | undefined
  let deliveries = 0
  const events: ReceiverEvent[] = [
    { type: 'publishReceived', packet: publish(M, 5, false) },
    { type: 'connectionLost' }, { type: 'sessionResumed' },
    { type: 'publishReceived', packet: publish(M, 5, true) },
    { type: 'publishReceived', packet: publish(M, 5, true) },
    { type: 'connectionLost' }, { type: 'sessionResumed' },
    { type: 'publishReceived', packet: publish(M, 5, true) },
    { type: 'pubrelReceived', packet: pubrel(5, 0) },
    { type: 'pubrelReceived', packet: pubrel(5, 0) }
  ]
  const acks: string[] = []
  for (const event of events) {
    const result = exactlyOnceReceiver(state, event)
    state = result.state
    for (const a of result.actions) {
      if (a.type === 'deliver') deliveries++
      if (a.type === 'send' && a.packet.type !== 'publish' && 'reasonCode' in a.packet) acks.push(`${a.packet.type}:${a.packet.reasonCode ?? '-'}`)
    }
  }
  t.is(deliveries, 1)
  t.deepEqual(acks, ['pubrec:0', 'pubrec:0', 'pubrec:0', 'pubrec:0', 'pubcomp:0', 'pubcomp:146'])
  t.is(state, undefined)
})
