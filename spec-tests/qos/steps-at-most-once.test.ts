/**
 * Step table of at-most-once (QoS 0), lib/qos/at-most-once.ts: send and receive. Neither side
 * keeps a flow, so there is nothing to persist, resend or forget; the "state" column is always
 * "none", which is itself the guarantee that connectionLost and sessionResumed can never send a
 * QoS 0 message again (the session only resends flows it holds).
 */
import test from 'ava'
import { atMostOnceReceive, atMostOnceSend, messageOf } from '../../lib/qos/at-most-once.js'
import { onPublish, startPublish } from '../../lib/qos/flows.js'
import type { InboundFlow, OutboundFlow } from '../../lib/qos/types.js'
import { message, pid, publish } from './model/fixtures.js'
import { registerRows, uncoveredPairs, type Row } from './model/step-table.js'

const M = message(0, 0)
const retained = { ...message(1, 0), retain: true }
const withProps = { ...M, properties: { messageExpiryInterval: 30, userProperties: [['y', '1'], ['x', '2']] as const } }
const held: InboundFlow = { state: 'AwaitingPubrel', packetId: pid(4) }

const sendRows: Array<Row<OutboundFlow>> = [
  {
    title: 'v3.1.1 [MQTT-4.3.1-1] [MQTT-3.3.1-2] [MQTT-2.3.1-5] v5 [MQTT-4.3.1-1] [MQTT-3.3.1-2] [MQTT-2.2.1-2] send QoS 0: one PUBLISH, QoS 0, DUP 0, no packet id, nothing persisted',
    pair: ['none', 'send'],
    run: () => atMostOnceSend(M),
    expect: { state: undefined, actions: [{ type: 'send', packet: publish(M, undefined, false) }] }
  },
  {
    title: 'v5 [MQTT-4.3.1-1] [MQTT-3.3.2-17] [MQTT-3.3.2-18] send QoS 0 keeps RETAIN and the properties, User Properties in order',
    pair: ['none', 'send'],
    run: () => atMostOnceSend({ ...retained, properties: withProps.properties }),
    expect: { state: undefined, actions: [{ type: 'send', packet: { ...publish(retained, undefined, false), properties: withProps.properties } }] }
  },
  {
    title: 'v3.1.1 [MQTT-2.3.1-5] v5 [MQTT-2.2.1-2] startPublish QoS 0 given a packet id: the PUBLISH still carries none, and no flow is kept',
    pair: ['none', 'startPublish'],
    run: () => startPublish(M, pid(12)),
    expect: { state: undefined, actions: [{ type: 'send', packet: publish(M, undefined, false) }] }
  },
  {
    title: 'v3.1.1 [MQTT-4.3.1-1] v5 [MQTT-4.3.1-1] startPublish QoS 0 without id: one PUBLISH and no flow, so nothing can ever resend it',
    pair: ['none', 'startPublish'],
    run: () => startPublish(M, undefined),
    expect: { state: undefined, actions: [{ type: 'send', packet: publish(M, undefined, false) }] }
  }
]

const receiveRows: Array<Row<InboundFlow>> = [
  {
    title: 'v3.1.1 [MQTT-3.3.4-1] v5 [MQTT-3.3.4-1] receive QoS 0: deliver without packet id, send nothing',
    pair: ['none', 'receive'],
    run: () => atMostOnceReceive(publish(M, undefined, false)),
    expect: { state: undefined, actions: [{ type: 'deliver', message: M }] }
  },
  {
    title: 'v5 [MQTT-3.3.1-5] [MQTT-3.3.2-17] [MQTT-3.3.2-18] receive QoS 0: the delivered message keeps RETAIN and the properties in order',
    pair: ['none', 'receive'],
    run: () => atMostOnceReceive({ ...publish(retained, undefined, false), properties: withProps.properties }),
    expect: { state: undefined, actions: [{ type: 'deliver', message: { ...retained, properties: withProps.properties } }] }
  },
  {
    title: 'v3.1.1 [MQTT-3.3.4-1] v5 [MQTT-3.3.4-1] flows.onPublish QoS 0: delivered, nothing sent, no flow created',
    pair: ['none', 'onPublish'],
    run: () => onPublish(undefined, publish(M, undefined, false)),
    expect: { state: undefined, actions: [{ type: 'deliver', message: M }] }
  },
  {
    title: 'v3.1.1 [MQTT-3.3.4-1] v5 [MQTT-3.3.4-1] flows.onPublish QoS 0 leaves an unrelated inbound flow untouched',
    pair: ['AwaitingPubrel', 'onPublish'],
    given: held,
    run: () => onPublish(held, publish(M, undefined, false)),
    expect: { state: held, actions: [{ type: 'deliver', message: M }], sameState: true }
  }
]

registerRows(sendRows)
registerRows(receiveRows)

test('step tables cover every (state, event) pair of at-most-once send and receive', t => {
  t.deepEqual(uncoveredPairs(sendRows, ['none'], ['send', 'startPublish']), [])
  t.deepEqual(uncoveredPairs(receiveRows, ['none'], ['receive', 'onPublish']), [])
})

test('v3.1.1 [MQTT-4.3.1-1] v5 [MQTT-4.3.1-1] QoS 0 send never persists: no action of a QoS 0 send is persist or forget', t => {
  const actions = [...atMostOnceSend(M), ...startPublish(M, undefined).actions]
  t.deepEqual(actions.map(a => a.type), ['send', 'send'])
})

test('v3.1.1 [MQTT-2.3.1-5] v5 [MQTT-2.2.1-2] messageOf strips the flow fields (DUP, packet id) from a PUBLISH', t => {
  const m = messageOf({ ...publish(message(2, 1), 9, true) })
  t.deepEqual(m, message(2, 1))
  t.false('dup' in m)
  t.false('packetId' in m)
})

test('v5 [MQTT-3.3.4-1] a QoS 0 PUBLISH the caller refuses is not delivered (nothing to answer with, nothing taken)', t => {
  const result = onPublish(undefined, publish(M, undefined, false), 0x87)
  t.deepEqual(result.actions, [])
})
