/**
 * Step table of the at-least-once (QoS 1) sender, lib/qos/at-least-once-sender.ts:
 * states {no flow, AwaitingPuback} x events {publishRequested, PUBACK, PUBREC, PUBCOMP,
 * connectionLost, sessionResumed}.
 */
import test from 'ava'
import { atLeastOnceSender } from '../../lib/qos/at-least-once-sender.js'
import type { AwaitingPuback, SenderEvent } from '../../lib/qos/types.js'
import { message, pid, puback, pubcomp, publish, pubrec } from './model/fixtures.js'
import { actionLists, orderProblems, registerRows, uncoveredPairs, type Row } from './model/step-table.js'

const ID = pid(7)
const M = message(1, 1)
const waiting: AwaitingPuback = { state: 'AwaitingPuback', packetId: ID, message: M }
const withProps = { ...M, properties: { contentType: 'text/plain', userProperties: [['k', 'v']] as const } }

const step = (state: AwaitingPuback | undefined, event: SenderEvent) => () => atLeastOnceSender(state, event)

const rows: Array<Row<AwaitingPuback>> = [
  {
    title: 'v3.1.1 [MQTT-4.3.2-1] v5 [MQTT-4.3.2-1] [MQTT-4.3.2-2] no flow + publishRequested: persist AwaitingPuback, then send PUBLISH QoS 1 DUP 0 with the given id',
    pair: ['none', 'publishRequested'],
    run: step(undefined, { type: 'publishRequested', packetId: ID, message: M }),
    expect: { state: waiting, actions: [{ type: 'persist', direction: 'outbound', flow: waiting }, { type: 'send', packet: publish(M, 7, false) }] }
  },
  {
    title: 'v5 [MQTT-4.3.2-2] [MQTT-3.3.2-17] [MQTT-3.3.2-18] the first PUBLISH carries the message properties unchanged, User Properties in order',
    pair: ['none', 'publishRequested'],
    run: step(undefined, { type: 'publishRequested', packetId: ID, message: withProps }),
    expect: {
      state: { state: 'AwaitingPuback', packetId: ID, message: withProps },
      actions: [
        { type: 'persist', direction: 'outbound', flow: { state: 'AwaitingPuback', packetId: ID, message: withProps } },
        { type: 'send', packet: { ...publish(M, 7, false), properties: withProps.properties } }
      ]
    }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.2-1] v5 [MQTT-4.3.2-1] AwaitingPuback + publishRequested for the same id: UnexpectedPacketError (the id is not unused)',
    pair: ['AwaitingPuback', 'publishRequested'],
    run: step(waiting, { type: 'publishRequested', packetId: ID, message: message(2, 1) }),
    expect: { throws: { packetType: 'publish', state: 'AwaitingPuback' } }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.2-1] v5 [MQTT-4.3.2-3] AwaitingPuback + PUBACK 0x00: the flow ends as delivered (forget, outcome ok)',
    pair: ['AwaitingPuback', 'pubackReceived'],
    run: step(waiting, { type: 'pubackReceived', packet: puback(7, 0) }),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: ID, outcome: { ok: true } }] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.2-1] AwaitingPuback + PUBACK without reason code (MQTT 3.1.1): the flow ends as delivered',
    pair: ['AwaitingPuback', 'pubackReceived'],
    run: step(waiting, { type: 'pubackReceived', packet: puback(7) }),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: ID, outcome: { ok: true } }] }
  },
  {
    title: 'v5 [MQTT-4.3.2-3] [MQTT-3.4.2-1] AwaitingPuback + PUBACK 0x10 (No matching subscribers, below 0x80): the flow ends as delivered',
    pair: ['AwaitingPuback', 'pubackReceived'],
    run: step(waiting, { type: 'pubackReceived', packet: puback(7, 0x10) }),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: ID, outcome: { ok: true } }] }
  },
  {
    title: 'v5 [MQTT-4.4.0-2] AwaitingPuback + PUBACK 0x80: the flow ends as refused with 0x80 and is never resent',
    pair: ['AwaitingPuback', 'pubackReceived'],
    run: step(waiting, { type: 'pubackReceived', packet: puback(7, 0x80) }),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: ID, outcome: { ok: false, reasonCode: 0x80 } }] }
  },
  {
    title: 'v5 [MQTT-4.4.0-2] AwaitingPuback + PUBACK 0x87 with a Reason String: the flow ends as refused, reason kept for the application',
    pair: ['AwaitingPuback', 'pubackReceived'],
    run: step(waiting, { type: 'pubackReceived', packet: puback(7, 0x87, 'not authorized') }),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: ID, outcome: { ok: false, reasonCode: 0x87, reasonString: 'not authorized' } }] }
  },
  {
    title: 'v5 [MQTT-2.2.1-5] v3.1.1 [MQTT-2.3.1-6] no flow + PUBACK (unknown id, a late duplicate): ignored, nothing sent',
    pair: ['none', 'pubackReceived'],
    run: step(undefined, { type: 'pubackReceived', packet: puback(7, 0) }),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v5 [MQTT-2.2.1-5] no flow + refusing PUBACK 0x97 for an unknown id: ignored',
    pair: ['none', 'pubackReceived'],
    run: step(undefined, { type: 'pubackReceived', packet: puback(7, 0x97) }),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v5 [MQTT-4.3.2-4] AwaitingPuback + PUBREC: UnexpectedPacketError (a QoS 1 PUBLISH is acknowledged by PUBACK only)',
    pair: ['AwaitingPuback', 'pubrecReceived'],
    run: step(waiting, { type: 'pubrecReceived', packet: pubrec(7, 0) }),
    expect: { throws: { packetType: 'pubrec', state: 'AwaitingPuback' } }
  },
  {
    title: 'v5 [MQTT-2.2.1-5] no flow + PUBREC at the QoS 1 machine: ignored (flows.onPubrec routes unknown ids to the QoS 2 sender instead)',
    pair: ['none', 'pubrecReceived'],
    run: step(undefined, { type: 'pubrecReceived', packet: pubrec(7, 0) }),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v5 [MQTT-4.3.2-4] AwaitingPuback + PUBCOMP: UnexpectedPacketError',
    pair: ['AwaitingPuback', 'pubcompReceived'],
    run: step(waiting, { type: 'pubcompReceived', packet: pubcomp(7, 0) }),
    expect: { throws: { packetType: 'pubcomp', state: 'AwaitingPuback' } }
  },
  {
    title: 'v5 [MQTT-2.2.1-5] no flow + PUBCOMP (unknown id): ignored',
    pair: ['none', 'pubcompReceived'],
    run: step(undefined, { type: 'pubcompReceived', packet: pubcomp(7, 0) }),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v5 [MQTT-4.4.0-1] AwaitingPuback + connectionLost: nothing is sent, the flow is kept as it is',
    pair: ['AwaitingPuback', 'connectionLost'],
    given: waiting,
    run: step(waiting, { type: 'connectionLost' }),
    expect: { state: waiting, actions: [], sameState: true }
  },
  {
    title: 'v5 [MQTT-4.4.0-1] no flow + connectionLost: nothing',
    pair: ['none', 'connectionLost'],
    run: step(undefined, { type: 'connectionLost' }),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v3.1.1 [MQTT-4.4.0-1] [MQTT-3.3.1-1] [MQTT-2.3.1-3] v5 [MQTT-4.4.0-1] [MQTT-3.3.1-1] AwaitingPuback + sessionResumed: resend the PUBLISH with DUP 1 and the original id, keep waiting',
    pair: ['AwaitingPuback', 'sessionResumed'],
    given: waiting,
    run: step(waiting, { type: 'sessionResumed' }),
    expect: { state: waiting, actions: [{ type: 'send', packet: publish(M, 7, true) }], sameState: true }
  },
  {
    title: 'v3.1.1 [MQTT-4.4.0-1] v5 [MQTT-4.4.0-1] no flow + sessionResumed: nothing to resend',
    pair: ['none', 'sessionResumed'],
    run: step(undefined, { type: 'sessionResumed' }),
    expect: { state: undefined, actions: [] }
  }
]

registerRows(rows)

test('step table covers every (state, event) pair of the QoS 1 sender', t => {
  t.deepEqual(uncoveredPairs(rows, ['none', 'AwaitingPuback'],
    ['publishRequested', 'pubackReceived', 'pubrecReceived', 'pubcompReceived', 'connectionLost', 'sessionResumed']), [])
})

test('ARCHITECTURE rule 4: in every QoS 1 sender row, persist precedes the send it protects', t => {
  const lists = actionLists(rows)
  for (const actions of lists) t.deepEqual(orderProblems(actions), [])
  t.true(lists.some(l => l[0]?.type === 'persist' && l[1]?.type === 'send'), 'some row does persist before sending')
})

test('v3.1.1 [MQTT-4.4.0-1] v5 [MQTT-4.4.0-1] [MQTT-4.3.2-3] each resumed session resends the PUBLISH again until PUBACK, then never', t => {
  let state: AwaitingPuback | undefined = atLeastOnceSender(undefined, { type: 'publishRequested', packetId: ID, message: M }).state
  const sent: string[] = []
  for (const event of [{ type: 'connectionLost' }, { type: 'sessionResumed' }, { type: 'connectionLost' }, { type: 'sessionResumed' }, { type: 'pubackReceived', packet: puback(7, 0) }, { type: 'connectionLost' }, { type: 'sessionResumed' }] as const) {
    const result = atLeastOnceSender(state, event)
    state = result.state
    for (const a of result.actions) if (a.type === 'send' && a.packet.type === 'publish') sent.push(`${event.type}:${a.packet.dup ? 'dup' : 'first'}`)
  }
  t.deepEqual(sent, ['sessionResumed:dup', 'sessionResumed:dup'])
  t.is(state, undefined)
})

test('v5 [MQTT-4.4.0-2] a PUBLISH refused with PUBACK 0x80+ is not resent when the session resumes', t => {
  const refused = atLeastOnceSender(waiting, { type: 'pubackReceived', packet: puback(7, 0x97) })
  t.is(refused.state, undefined)
  t.deepEqual(atLeastOnceSender(refused.state, { type: 'sessionResumed' }).actions, [])
})
