/**
 * Step table of the dispatch helpers in lib/qos/flows.ts, the functions a session calls: which
 * machine answers a packet, given the flow (if any) the session holds for its packet id.
 * Outbound states {none, AwaitingPuback, AwaitingPubrec, AwaitingPubcomp} x {PUBACK, PUBREC,
 * PUBCOMP, sessionResumed}; inbound states {none, AwaitingPubrel} x {PUBLISH QoS 0/1/2, PUBREL}.
 */
import test from 'ava'
import { onPuback, onPubcomp, onPublish, onPubrec, onPubrel, onSessionResumed, startPublish } from '../../lib/qos/flows.js'
import type { AwaitingPuback, AwaitingPubcomp, AwaitingPubrec, AwaitingPubrel, InboundFlow, OutboundFlow } from '../../lib/qos/types.js'
import { message, pid, puback, pubcomp, publish, pubrec, pubrel } from './model/fixtures.js'
import { actionLists, orderProblems, registerRows, uncoveredPairs, type Row } from './model/step-table.js'

const ID = pid(2)
const Q1 = message(1, 1)
const Q2 = message(2, 2)
const puback1: AwaitingPuback = { state: 'AwaitingPuback', packetId: ID, message: Q1 }
const pubrec2: AwaitingPubrec = { state: 'AwaitingPubrec', packetId: ID, message: Q2 }
const pubcomp2: AwaitingPubcomp = { state: 'AwaitingPubcomp', packetId: ID }
const held: AwaitingPubrel = { state: 'AwaitingPubrel', packetId: ID }
const forgetOk = { type: 'forget', direction: 'outbound', packetId: ID, outcome: { ok: true } } as const

const outboundRows: Array<Row<OutboundFlow>> = [
  {
    title: 'v3.1.1 [MQTT-4.3.2-1] v5 [MQTT-4.3.2-1] [MQTT-4.3.2-2] startPublish QoS 1: AwaitingPuback, persist then PUBLISH',
    pair: ['none', 'startPublish'],
    run: () => startPublish(Q1, ID),
    expect: { state: puback1, actions: [{ type: 'persist', direction: 'outbound', flow: puback1 }, { type: 'send', packet: publish(Q1, 2, false) }] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] v5 [MQTT-4.3.3-1] [MQTT-4.3.3-2] startPublish QoS 2: AwaitingPubrec, persist then PUBLISH',
    pair: ['none', 'startPublish'],
    run: () => startPublish(Q2, ID),
    expect: { state: pubrec2, actions: [{ type: 'persist', direction: 'outbound', flow: pubrec2 }, { type: 'send', packet: publish(Q2, 2, false) }] }
  },
  {
    title: 'v5 [MQTT-2.2.1-5] v3.1.1 [MQTT-2.3.1-6] onPuback with no flow (unknown id): ignored',
    pair: ['none', 'puback'],
    run: () => onPuback(undefined, puback(2, 0)),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.2-1] v5 [MQTT-4.3.2-3] onPuback on AwaitingPuback: the QoS 1 flow ends',
    pair: ['AwaitingPuback', 'puback'],
    run: () => onPuback(puback1, puback(2, 0)),
    expect: { state: undefined, actions: [forgetOk] }
  },
  {
    title: 'v5 [MQTT-4.3.3-8] onPuback on AwaitingPubrec: UnexpectedPacketError',
    pair: ['AwaitingPubrec', 'puback'],
    run: () => onPuback(pubrec2, puback(2, 0)),
    expect: { throws: { packetType: 'puback', state: 'AwaitingPubrec' } }
  },
  {
    title: 'v5 [MQTT-4.3.3-8] onPuback on AwaitingPubcomp: UnexpectedPacketError',
    pair: ['AwaitingPubcomp', 'puback'],
    run: () => onPuback(pubcomp2, puback(2, 0)),
    expect: { throws: { packetType: 'puback', state: 'AwaitingPubcomp' } }
  },
  {
    title: 'v5 [MQTT-4.3.3-4] [MQTT-3.6.2-1] onPubrec with no flow (unknown id): PUBREL 0x92',
    pair: ['none', 'pubrec'],
    run: () => onPubrec(undefined, pubrec(2, 0)),
    expect: { state: undefined, actions: [{ type: 'send', packet: pubrel(2, 0x92) }] }
  },
  {
    title: 'v5 [MQTT-4.3.2-4] onPubrec on AwaitingPuback: UnexpectedPacketError',
    pair: ['AwaitingPuback', 'pubrec'],
    run: () => onPubrec(puback1, pubrec(2, 0)),
    expect: { throws: { packetType: 'pubrec', state: 'AwaitingPuback' } }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] v5 [MQTT-4.3.3-4] onPubrec on AwaitingPubrec: persist AwaitingPubcomp, then PUBREL',
    pair: ['AwaitingPubrec', 'pubrec'],
    run: () => onPubrec(pubrec2, pubrec(2, 0)),
    expect: { state: pubcomp2, actions: [{ type: 'persist', direction: 'outbound', flow: pubcomp2 }, { type: 'send', packet: pubrel(2, 0) }] }
  },
  {
    title: 'v5 [MQTT-4.3.3-4] onPubrec on AwaitingPubcomp: the same PUBREL again',
    pair: ['AwaitingPubcomp', 'pubrec'],
    run: () => onPubrec(pubcomp2, pubrec(2, 0)),
    expect: { state: pubcomp2, actions: [{ type: 'send', packet: pubrel(2, 0) }] }
  },
  {
    title: 'v5 [MQTT-2.2.1-5] onPubcomp with no flow (unknown id): ignored',
    pair: ['none', 'pubcomp'],
    run: () => onPubcomp(undefined, pubcomp(2, 0)),
    expect: { state: undefined, actions: [] }
  },
  {
    title: 'v5 [MQTT-4.3.2-4] onPubcomp on AwaitingPuback: UnexpectedPacketError',
    pair: ['AwaitingPuback', 'pubcomp'],
    run: () => onPubcomp(puback1, pubcomp(2, 0)),
    expect: { throws: { packetType: 'pubcomp', state: 'AwaitingPuback' } }
  },
  {
    title: 'v5 [MQTT-4.3.3-11] onPubcomp on AwaitingPubrec: UnexpectedPacketError',
    pair: ['AwaitingPubrec', 'pubcomp'],
    run: () => onPubcomp(pubrec2, pubcomp(2, 0)),
    expect: { throws: { packetType: 'pubcomp', state: 'AwaitingPubrec' } }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] v5 [MQTT-4.3.3-5] onPubcomp on AwaitingPubcomp: the QoS 2 flow ends',
    pair: ['AwaitingPubcomp', 'pubcomp'],
    run: () => onPubcomp(pubcomp2, pubcomp(2, 0)),
    expect: { state: undefined, actions: [forgetOk] }
  },
  {
    title: 'v3.1.1 [MQTT-4.4.0-1] v5 [MQTT-4.4.0-1] [MQTT-3.3.1-1] onSessionResumed on AwaitingPuback: PUBLISH DUP 1',
    pair: ['AwaitingPuback', 'sessionResumed'],
    given: puback1,
    run: () => onSessionResumed(puback1),
    expect: { state: puback1, actions: [{ type: 'send', packet: publish(Q1, 2, true) }], sameState: true }
  },
  {
    title: 'v3.1.1 [MQTT-4.4.0-1] v5 [MQTT-4.4.0-1] [MQTT-3.3.1-1] onSessionResumed on AwaitingPubrec: PUBLISH DUP 1',
    pair: ['AwaitingPubrec', 'sessionResumed'],
    given: pubrec2,
    run: () => onSessionResumed(pubrec2),
    expect: { state: pubrec2, actions: [{ type: 'send', packet: publish(Q2, 2, true) }], sameState: true }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-1] [MQTT-4.4.0-1] v5 [MQTT-4.3.3-6] [MQTT-4.4.0-1] onSessionResumed on AwaitingPubcomp: PUBREL, never the PUBLISH',
    pair: ['AwaitingPubcomp', 'sessionResumed'],
    given: pubcomp2,
    run: () => onSessionResumed(pubcomp2),
    expect: { state: pubcomp2, actions: [{ type: 'send', packet: pubrel(2, 0) }], sameState: true }
  }
]

const inboundRows: Array<Row<InboundFlow>> = [
  {
    title: 'v3.1.1 [MQTT-3.3.4-1] v5 [MQTT-3.3.4-1] onPublish QoS 1 with an inbound QoS 2 flow on the same id: delivered and acknowledged, the QoS 2 flow left as it is',
    pair: ['AwaitingPubrel', 'publish q1'],
    given: held,
    run: () => onPublish(held, publish(Q1, 2, false)),
    expect: { state: held, actions: [{ type: 'deliver', message: Q1, packetId: ID }, { type: 'send', packet: puback(2, 0) }], sameState: true }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.2-2] v5 [MQTT-4.3.2-4] onPublish QoS 1 with no flow: deliver then PUBACK',
    pair: ['none', 'publish q1'],
    run: () => onPublish(undefined, publish(Q1, 2, false)),
    expect: { state: undefined, actions: [{ type: 'deliver', message: Q1, packetId: ID }, { type: 'send', packet: puback(2, 0) }] }
  },
  {
    title: 'v5 [MQTT-4.3.2-4] onPublish QoS 1 refused: PUBACK with the refusal, nothing delivered',
    pair: ['none', 'publish q1'],
    run: () => onPublish(undefined, publish(Q1, 2, false), 0x87),
    expect: { state: undefined, actions: [{ type: 'send', packet: puback(2, 0x87) }] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-8] onPublish QoS 2 with no flow: persist, deliver, PUBREC',
    pair: ['none', 'publish q2'],
    run: () => onPublish(undefined, publish(Q2, 2, false)),
    expect: { state: held, actions: [{ type: 'persist', direction: 'inbound', flow: held }, { type: 'deliver', message: Q2, packetId: ID }, { type: 'send', packet: pubrec(2, 0) }] }
  },
  {
    title: 'v5 [MQTT-4.3.3-9] onPublish QoS 2 refused: PUBREC with the refusal, no flow',
    pair: ['none', 'publish q2'],
    run: () => onPublish(undefined, publish(Q2, 2, false), 0x97),
    expect: { state: undefined, actions: [{ type: 'send', packet: pubrec(2, 0x97) }] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-10] onPublish QoS 2 on AwaitingPubrel: PUBREC again, not delivered',
    pair: ['AwaitingPubrel', 'publish q2'],
    given: held,
    run: () => onPublish(held, publish(Q2, 2, true)),
    expect: { state: held, actions: [{ type: 'send', packet: pubrec(2, 0) }], sameState: true }
  },
  {
    title: 'v3.1.1 [MQTT-3.3.4-1] v5 [MQTT-3.3.4-1] onPublish QoS 0 with no flow: delivered, nothing sent',
    pair: ['none', 'publish q0'],
    run: () => onPublish(undefined, publish(message(0, 0), undefined, false)),
    expect: { state: undefined, actions: [{ type: 'deliver', message: message(0, 0) }] }
  },
  {
    title: 'v3.1.1 [MQTT-3.3.4-1] v5 [MQTT-3.3.4-1] onPublish QoS 0 given an inbound flow: delivered, the flow passed through',
    pair: ['AwaitingPubrel', 'publish q0'],
    given: held,
    run: () => onPublish(held, publish(message(0, 0), undefined, false)),
    expect: { state: held, actions: [{ type: 'deliver', message: message(0, 0) }], sameState: true }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-11] onPubrel on AwaitingPubrel: forget then PUBCOMP',
    pair: ['AwaitingPubrel', 'pubrel'],
    run: () => onPubrel(held, pubrel(2, 0)),
    expect: { state: undefined, actions: [{ type: 'forget', direction: 'inbound', packetId: ID }, { type: 'send', packet: pubcomp(2, 0) }] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.3-2] v5 [MQTT-4.3.3-11] onPubrel with no flow (unknown id): PUBCOMP 0x92',
    pair: ['none', 'pubrel'],
    run: () => onPubrel(undefined, pubrel(2, 0)),
    expect: { state: undefined, actions: [{ type: 'send', packet: pubcomp(2, 0x92) }] }
  }
]

registerRows(outboundRows)
registerRows(inboundRows)

test('dispatch tables cover every (flow, packet) pair a session can hand to flows.ts', t => {
  t.deepEqual(uncoveredPairs(outboundRows, ['none', 'AwaitingPuback', 'AwaitingPubrec', 'AwaitingPubcomp'], ['puback', 'pubrec', 'pubcomp']), [])
  t.deepEqual(uncoveredPairs(outboundRows, ['AwaitingPuback', 'AwaitingPubrec', 'AwaitingPubcomp'], ['sessionResumed']), [])
  t.deepEqual(uncoveredPairs(inboundRows, ['none', 'AwaitingPubrel'], ['publish q0', 'publish q1', 'publish q2', 'pubrel']), [])
})

test('ARCHITECTURE rule 4: in every dispatch row, persist/deliver precede PUBACK, PUBREC, PUBREL and forget precedes PUBCOMP', t => {
  for (const actions of [...actionLists(outboundRows), ...actionLists(inboundRows)]) t.deepEqual(orderProblems(actions), [])
})

test('v3.1.1 [MQTT-2.3.1-1] v5 [MQTT-2.2.1-3] startPublish QoS 1 or 2 without a packet id is refused with a RangeError', t => {
  t.throws(() => startPublish(Q1, undefined), { instanceOf: RangeError })
  t.throws(() => startPublish(Q2, undefined), { instanceOf: RangeError })
})

test('the order checker used by every table reports each misordering (it can fail)', t => {
  const flow: InboundFlow = held
  t.deepEqual(orderProblems([{ type: 'send', packet: pubrec(2, 0) }, { type: 'persist', direction: 'inbound', flow }, { type: 'deliver', message: Q2, packetId: ID }]),
    ['persist after the send of PUBREC', 'deliver after the send of PUBREC'])
  t.deepEqual(orderProblems([{ type: 'send', packet: puback(2, 0) }, { type: 'deliver', message: Q1, packetId: ID }]), ['deliver after the send of PUBACK'])
  t.deepEqual(orderProblems([{ type: 'send', packet: pubrel(2, 0) }, { type: 'persist', direction: 'outbound', flow: pubcomp2 }]), ['persist after the send of PUBREL'])
  t.deepEqual(orderProblems([{ type: 'send', packet: pubcomp(2, 0) }, { type: 'forget', direction: 'inbound', packetId: ID }]), ['forget after the send of PUBCOMP'])
})
