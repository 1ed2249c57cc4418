/**
 * Step table of the at-least-once (QoS 1) receiver, lib/qos/at-least-once-receiver.ts. It keeps
 * no flow, so its only state is "none"; its events are PUBLISH (taken or refused), and through
 * flows.onPublish the state it is given is passed through untouched.
 */
import test from 'ava'
import { atLeastOnceReceive } from '../../lib/qos/at-least-once-receiver.js'
import { onPublish } from '../../lib/qos/flows.js'
import type { InboundFlow } from '../../lib/qos/types.js'
import { message, pid, puback, publish } from './model/fixtures.js'
import { actionLists, orderProblems, registerRows, uncoveredPairs, type Row } from './model/step-table.js'

const ID = pid(3)
const M = message(6, 1)
const withProps = { ...M, properties: { correlationData: Buffer.from([1, 2]), userProperties: [['z', '1'], ['a', '2']] as const } }
const taken = [{ type: 'deliver', message: M, packetId: ID }, { type: 'send', packet: puback(3, 0) }] as const

const rows: Array<Row<InboundFlow>> = [
  {
    title: 'v3.1.1 [MQTT-4.3.2-2] [MQTT-3.3.4-1] v5 [MQTT-4.3.2-4] [MQTT-3.3.4-1] PUBLISH QoS 1: deliver, then send PUBACK with the same id',
    pair: ['none', 'publishReceived'],
    run: () => atLeastOnceReceive(publish(M, 3, false)),
    expect: { state: undefined, actions: taken }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.2-2] v5 [MQTT-4.3.2-5] PUBLISH QoS 1 with DUP 1: delivered again and acknowledged (at least once allows duplicates)',
    pair: ['none', 'publishReceived'],
    run: () => atLeastOnceReceive(publish(M, 3, true)),
    expect: { state: undefined, actions: taken }
  },
  {
    title: 'v5 [MQTT-4.3.2-4] [MQTT-3.3.2-17] [MQTT-3.3.2-18] the delivered QoS 1 message keeps its properties, User Properties in order, and not the DUP flag',
    pair: ['none', 'publishReceived'],
    run: () => atLeastOnceReceive({ ...publish(M, 3, true), properties: withProps.properties }),
    expect: { state: undefined, actions: [{ type: 'deliver', message: withProps, packetId: ID }, { type: 'send', packet: puback(3, 0) }] }
  },
  {
    title: 'v5 [MQTT-4.3.2-4] [MQTT-3.4.2-1] PUBLISH QoS 1 refused with 0x87: PUBACK 0x87, nothing delivered',
    pair: ['none', 'publishReceived'],
    run: () => atLeastOnceReceive(publish(M, 3, false), 0x87),
    expect: { state: undefined, actions: [{ type: 'send', packet: puback(3, 0x87) }] }
  },
  {
    title: 'v5 [MQTT-4.3.2-4] [MQTT-3.4.2-1] a refusal code at the 0x80 boundary refuses (PUBACK 0x80)',
    pair: ['none', 'publishReceived'],
    run: () => atLeastOnceReceive(publish(M, 3, false), 0x80),
    expect: { state: undefined, actions: [{ type: 'send', packet: puback(3, 0x80) }] }
  },
  {
    title: 'v5 [MQTT-4.3.2-4] a "refusal" below 0x80 is not a refusal: delivered, PUBACK 0x00',
    pair: ['none', 'publishReceived'],
    run: () => atLeastOnceReceive(publish(M, 3, false), 0x10),
    expect: { state: undefined, actions: taken }
  },
  {
    title: 'v5 [MQTT-2.2.1-5] through flows.onPublish the receiver keeps no flow: no state in, no state out',
    pair: ['none', 'onPublish'],
    run: () => onPublish(undefined, publish(M, 3, false)),
    expect: { state: undefined, actions: taken }
  }
]

registerRows(rows)

test('step table covers every (state, event) pair of the QoS 1 receiver', t => {
  t.deepEqual(uncoveredPairs(rows, ['none'], ['publishReceived', 'onPublish']), [])
})

test('ARCHITECTURE rule 4: in every QoS 1 receiver row, deliver precedes PUBACK', t => {
  const lists = actionLists(rows)
  for (const actions of lists) t.deepEqual(orderProblems(actions), [])
  t.true(lists.some(l => l.map(a => a.type).join(',') === 'deliver,send'))
})

test('v3.1.1 [MQTT-4.3.2-2] v5 [MQTT-4.3.2-5] after its PUBACK, a PUBLISH reusing the id is a new message, whatever its DUP flag', t => {
  const next = message(7, 1)
  for (const dup of [false, true]) {
    const first = atLeastOnceReceive(publish(M, 3, false))
    const again = atLeastOnceReceive(publish(next, 3, dup))
    t.deepEqual([...first, ...again].filter(a => a.type === 'deliver').map(a => a.type === 'deliver' ? a.message : undefined), [M, next])
  }
})

test('v3.1.1 [MQTT-4.6.0-2] v5 [MQTT-4.6.0-2] each QoS 1 PUBLISH is answered within its own transition, so PUBACKs leave in arrival order', t => {
  const ids = [4, 1, 3, 2]
  const sent = ids.flatMap(id => atLeastOnceReceive(publish(message(id, 1), id, false)))
    .flatMap(a => a.type === 'send' && a.packet.type === 'puback' ? [a.packet.packetId] : [])
  t.deepEqual(sent, ids)
})
