/**
 * Step table of the exactly-once (QoS 2) sender, lib/qos/exactly-once-sender.ts:
 * states {no flow, AwaitingPubrec, AwaitingPubcomp} x events {publishRequested, PUBACK, PUBREC,
 * PUBCOMP, connectionLost, sessionResumed}.
 */
import test from 'ava'
import { exactlyOnceSender } from '../../lib/qos/exactly-once-sender.js'
import type { AwaitingPubcomp, AwaitingPubrec, SenderEvent } from '../../lib/qos/types.js'
import { message, pid, puback, pubcomp, publish, pubrec, pubrel } from './model/fixtures.js'
import { actionLists, orderProblems, registerRows, uncoveredPairs, type Row } from './model/step-table.js'

type Waiting = AwaitingPubrec | AwaitingPubcomp

const ID = pid(9)
const M = message(2, 2)
const awaitingPubrec: AwaitingPubrec = { state: 'AwaitingPubrec', packetId: ID, message: M }
const awaitingPubcomp: AwaitingPubcomp = { state: 'AwaitingPubcomp', packetId: ID }
const forgetOk = { type: 'forget', direction: 'outbound', packetId: ID, outcome: { ok: true } } as const

const step = (state: Waiting | undefined, event: SenderEvent) => () => exactlyOnceSender(state, event)
const released = {
  state: awaitingPubcomp,
  actions: [{ type: 'persist', direction: 'outbound', flow: awaitingPubcomp }, { type: 'send', packet: pubrel(9, 0) }]
} as const

const rows: Array<Row<Waiting>> = [
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] v5 [MQTT-4.3.3-1] [MQTT-4.3.3-2] [MQTT-4.3.3-3] no flow + publishRequested: persist AwaitingPubrec, then send PUBLISH QoS 2 DUP 0 with the given id',
    pair: ['none', 'publishRequested'],
    run: step(undefined, { type: 'publishRequested', packetId: ID, message: M }),
    expect: { state: awaitingPubrec, actions: [{ type: 'persist', direction: 'outbound', flow: awaitingPubrec }, { type: 'send', packet: publish(M, 9, false) }] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] v5 [MQTT-4.3.3-1] AwaitingPubrec + publishRequested for the same id: UnexpectedPacketError',
    pair: ['AwaitingPubrec', 'publishRequested'],
    run: step(awaitingPubrec, { type: 'publishRequested', packetId: ID, message: message(3, 2) }),
    expect: { throws: { packetType: 'publish', state: 'AwaitingPubrec' } }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] v5 [MQTT-4.3.3-1] AwaitingPubcomp + publishRequested for the same id: UnexpectedPacketError (the id is in use until PUBCOMP)',
    pair: ['AwaitingPubcomp', 'publishRequested'],
    run: step(awaitingPubcomp, { type: 'publishRequested', packetId: ID, message: message(3, 2) }),
    expect: { throws: { packetType: 'publish', state: 'AwaitingPubcomp' } }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] v5 [MQTT-4.3.3-4] [MQTT-4.3.3-5] AwaitingPubrec + PUBREC 0x00: persist AwaitingPubcomp, then send PUBREL with the same id',
    pair: ['AwaitingPubrec', 'pubrecReceived'],
    run: step(awaitingPubrec, { type: 'pubrecReceived', packet: pubrec(9, 0) }),
    expect: released
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] AwaitingPubrec + PUBREC without reason code (MQTT 3.1.1): persist AwaitingPubcomp, then send PUBREL',
    pair: ['AwaitingPubrec', 'pubrecReceived'],
    run: step(awaitingPubrec, { type: 'pubrecReceived', packet: pubrec(9) }),
    expect: released
  },
  {
    title: 'v5 [MQTT-4.3.3-4] AwaitingPubrec + PUBREC 0x10 (No matching subscribers, below 0x80): released like a success',
    pair: ['AwaitingPubrec', 'pubrecReceived'],
    run: step(awaitingPubrec, { type: 'pubrecReceived', packet: pubrec(9, 0x10) }),
    expect: released
  },
  {
    title: 'v5 [MQTT-4.4.0-2] [MQTT-4.3.3-4] AwaitingPubrec + PUBREC 0x80: the flow ends as refused, no PUBREL',
    pair: ['AwaitingPubrec', 'pubrecReceived'],
    run: step(awaitingPubrec, { type: 'pubrecReceived', packet: pubrec(9, 0x80) }),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: ID, outcome: { ok: false, reasonCode: 0x80 } }] }
  },
  {
    title: 'v5 [MQTT-4.4.0-2] AwaitingPubrec + PUBREC 0x97 with a Reason String: the flow ends as refused, reason kept',
    pair: ['AwaitingPubrec', 'pubrecReceived'],
    run: step(awaitingPubrec, { type: 'pubrecReceived', packet: pubrec(9, 0x97, 'quota exceeded') }),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: ID, outcome: { ok: false, reasonCode: 0x97, reasonString: 'quota exceeded' } }] }
  },
  {
    title: 'v5 [MQTT-4.3.3-4] [MQTT-4.6.0-4] AwaitingPubcomp + repeated PUBREC 0x00: answered with the same PUBREL, state kept, nothing persisted again',
    pair: ['AwaitingPubcomp', 'pubrecReceived'],
    run: step(awaitingPubcomp, { type: 'pubrecReceived', packet: pubrec(9, 0) }),
    expect: { state: awaitingPubcomp, actions: [{ type: 'send', packet: pubrel(9, 0) }] }
  },
  {
    title: 'v5 [MQTT-4.3.3-4] AwaitingPubcomp + refusing PUBREC 0x80: UnexpectedPacketError (a refusal cannot follow an acceptance)',
    pair: ['AwaitingPubcomp', 'pubrecReceived'],
    run: step(awaitingPubcomp, { type: 'pubrecReceived', packet: pubrec(9, 0x80) }),
    expect: { throws: { packetType: 'pubrec', state: 'AwaitingPubcomp' } }
  },
  {
    title: 'v5 [MQTT-4.3.3-4] [MQTT-3.6.2-1] no flow + PUBREC (unknown id): answered with PUBREL 0x92 Packet Identifier not found',
    pair: ['none', 'pubrecReceived'],
    run: step(undefined, { type: 'pubrecReceived', packet: pubrec(9, 0) }),
    expect: { state: undefined, actions: [{ type: 'send', packet: pubrel(9, 0x92) }] }
  },
  {
    title: 'v5 [MQTT-4.3.3-4] [MQTT-3.6.2-1] no flow + refusing PUBREC 0x87 (unknown id): also answered with PUBREL 0x92',
    pair: ['none', 'pubrecReceived'],
    run: step(undefined, { type: 'pubrecReceived', packet: pubrec(9, 0x87) }),
    expect: { state: undefined, actions: [{ type: 'send', packet: pubrel(9, 0x92) }] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] [MQTT-2.3.1-3] v5 [MQTT-4.3.3-5] AwaitingPubcomp + PUBCOMP 0x00: the flow ends as delivered, id freed',
    pair: ['AwaitingPubcomp', 'pubcompReceived'],
    run: step(awaitingPubcomp, { type: 'pubcompReceived', packet: pubcomp(9, 0) }),
    expect: { state: undefined, actions: [forgetOk] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] AwaitingPubcomp + PUBCOMP without reason code (MQTT 3.1.1): the flow ends as delivered',
    pair: ['AwaitingPubcomp', 'pubcompReceived'],
    run: step(awaitingPubcomp, { type: 'pubcompReceived', packet: pubcomp(9) }),
    expect: { state: undefined, actions: [forgetOk] }
  },
  {
    title: 'v5 [MQTT-4.3.3-5] [MQTT-3.7.2-1] AwaitingPubcomp + PUBCOMP 0x92 (receiver had already released the id): the flow ends as delivered',
    pair: ['AwaitingPubcomp', 'pubcompReceived'],
    run: step(awaitingPubcomp, { type: 'pubcompReceived', packet: pubcomp(9, 0x92) }),
    expect: { state: undefined, actions: [forgetOk] }
  },
  {
    title: 'v5 [MQTT-4.3.3-11] AwaitingPubrec + PUBCOMP: UnexpectedPacketError (no PUBREL was sent)',
    pair: ['AwaitingPubrec', 'pubcompReceived'],
    run: step(awaitingPubrec, { type: 'pubcompReceived', packet: pubcomp(9, 0) }),
    expect: { throws: { packetType: 'pubcomp', state: 'AwaitingPubrec' } }
  },
  {
    title: 'v5 [MQTT-2.2.1-5] no flow + PUBCOMP (unknown id, a late duplicate): ignored',
    pair: ['none', 'pubcompReceived'],
    run: step(undefined, { type: 'pubcompReceived', packet: pubcomp(9, 0) }),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v5 [MQTT-4.3.3-8] AwaitingPubrec + PUBACK: UnexpectedPacketError (QoS 2 is acknowledged by PUBREC)',
    pair: ['AwaitingPubrec', 'pubackReceived'],
    run: step(awaitingPubrec, { type: 'pubackReceived', packet: puback(9, 0) }),
    expect: { throws: { packetType: 'puback', state: 'AwaitingPubrec' } }
  },
  {
    title: 'v5 [MQTT-4.3.3-8] AwaitingPubcomp + PUBACK: UnexpectedPacketError',
    pair: ['AwaitingPubcomp', 'pubackReceived'],
    run: step(awaitingPubcomp, { type: 'pubackReceived', packet: puback(9, 0) }),
    expect: { throws: { packetType: 'puback', state: 'AwaitingPubcomp' } }
  },
  {
    title: 'v5 [MQTT-2.2.1-5] no flow + PUBACK at the QoS 2 machine: ignored',
    pair: ['none', 'pubackReceived'],
    run: step(undefined, { type: 'pubackReceived', packet: puback(9, 0) }),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v5 [MQTT-4.4.0-1] AwaitingPubrec + connectionLost: nothing is sent, the flow is kept as it is',
    pair: ['AwaitingPubrec', 'connectionLost'],
    given: awaitingPubrec,
    run: step(awaitingPubrec, { type: 'connectionLost' }),
    expect: { state: awaitingPubrec, actions: [], sameState: true }
  },
  {
    title: 'v5 [MQTT-4.4.0-1] AwaitingPubcomp + connectionLost: nothing is sent, the flow is kept as it is',
    pair: ['AwaitingPubcomp', 'connectionLost'],
    given: awaitingPubcomp,
    run: step(awaitingPubcomp, { type: 'connectionLost' }),
    expect: { state: awaitingPubcomp, actions: [], sameState: true }
  },
  {
    title: 'v5 [MQTT-4.4.0-1] no flow + connectionLost (QoS 2 machine): nothing',
    pair: ['none', 'connectionLost'],
    run: step(undefined, { type: 'connectionLost' }),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v3.1.1 [MQTT-4.4.0-1] [MQTT-3.3.1-1] v5 [MQTT-4.4.0-1] [MQTT-3.3.1-1] AwaitingPubrec + sessionResumed: resend the PUBLISH with DUP 1 and the original id',
    pair: ['AwaitingPubrec', 'sessionResumed'],
    given: awaitingPubrec,
    run: step(awaitingPubrec, { type: 'sessionResumed' }),
    expect: { state: awaitingPubrec, actions: [{ type: 'send', packet: publish(M, 9, true) }], sameState: true }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] [MQTT-4.4.0-1] v5 [MQTT-4.3.3-6] [MQTT-4.4.0-1] AwaitingPubcomp + sessionResumed: resend the PUBREL, never the PUBLISH',
    pair: ['AwaitingPubcomp', 'sessionResumed'],
    given: awaitingPubcomp,
    run: step(awaitingPubcomp, { type: 'sessionResumed' }),
    expect: { state: awaitingPubcomp, actions: [{ type: 'send', packet: pubrel(9, 0) }], sameState: true }
  },
  {
    title: 'v3.1.1 [MQTT-4.4.0-1] v5 [MQTT-4.4.0-1] no flow + sessionResumed (QoS 2 machine): nothing to resend',
    pair: ['none', 'sessionResumed'],
    run: step(undefined, { type: 'sessionResumed' }),
    expect: { state: undefined, actions: [] }
  }
]

registerRows(rows)

test('step table covers every (state, event) pair of the QoS 2 sender', t => {
  t.deepEqual(uncoveredPairs(rows, ['none', 'AwaitingPubrec', 'AwaitingPubcomp'],
    ['publishRequested', 'pubackReceived', 'pubrecReceived', 'pubcompReceived', 'connectionLost', 'sessionResumed']), [])
})

test('ARCHITECTURE rule 4: in every QoS 2 sender row, persist precedes the send of PUBLISH and PUBREL', t => {
  const lists = actionLists(rows)
  for (const actions of lists) {
    t.deepEqual(orderProblems(actions), [])
    const persist = actions.findIndex(a => a.type === 'persist')
    const send = actions.findIndex(a => a.type === 'send')
    if (persist >= 0) t.true(persist < send, 'the new phase is durable before its packet leaves')
  }
  t.true(lists.some(l => l[0]?.type === 'persist' && l[1]?.type === 'send' && l[1].packet.type === 'pubrel'))
})

test('v3.1.1 [MQTT-4.3.3-1] v5 [MQTT-4.3.3-6] once PUBREL has been sent, no sequence of events makes the sender send the PUBLISH again', t => {
  let state: Waiting | undefined = exactlyOnceSender(undefined, { type: 'publishRequested', packetId: ID, message: M }).state
  state = exactlyOnceSender(state, { type: 'pubrecReceived', packet: pubrec(9, 0) }).state
  const events: SenderEvent[] = [
    { type: 'connectionLost' }, { type: 'sessionResumed' }, { type: 'pubrecReceived', packet: pubrec(9, 0) },
    { type: 'connectionLost' }, { type: 'sessionResumed' }, { type: 'pubrecReceived', packet: pubrec(9) }
  ]
  const sent: string[] = []
  for (const event of events) {
    const result = exactlyOnceSender(state, event)
    state = result.state
    for (const a of result.actions) if (a.type === 'send') sent.push(a.packet.type)
  }
  t.deepEqual(sent, ['pubrel', 'pubrel', 'pubrel', 'pubrel'])
  t.deepEqual(state, awaitingPubcomp)
})

test('v5 [MQTT-4.4.0-2] [MQTT-4.3.3-9] a PUBLISH refused with PUBREC 0x80+ is not resent when the session resumes', t => {
  const refused = exactlyOnceSender(awaitingPubrec, { type: 'pubrecReceived', packet: pubrec(9, 0x8a) })
  t.is(refused.state, undefined)
  t.deepEqual(exactlyOnceSender(refused.state, { type: 'sessionResumed' }).actions, [])
})
