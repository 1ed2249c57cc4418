/**
 * Exactly-once sender (QoS 2): PUBLISH until PUBREC, then PUBREL until PUBCOMP. After PUBREL has
 * been sent the PUBLISH is never sent again, so the receiver cannot see the message twice.
 */
import { assertNever } from '../core/assert-never.js'
import { UnexpectedPacketError } from '../core/errors.js'
import type { PubrelPacket } from '../protocol/packets.js'
import { publishPacket } from './publish-packet.js'
import {
  ACCEPTED, REASON_PACKET_ID_NOT_FOUND, REASON_SUCCESS, isFailureReason,
  type AwaitingPubcomp, type AwaitingPubrec, type SenderEvent, type Transition
} from './types.js'

type Waiting = AwaitingPubrec | AwaitingPubcomp

export function exactlyOnceSender (state: Waiting | undefined, event: SenderEvent): Transition<Waiting> {
  switch (event.type) {
    case 'publishRequested': {
      if (state !== undefined) {
        throw new UnexpectedPacketError('publish', state.state, 'v5 [MQTT-4.3.3-1] a new message needs an unused packet identifier')
      }
      // v3.1.1 [MQTT-4.3.3-1], v5 [MQTT-4.3.3-1] [MQTT-4.3.3-2]: an unused id, QoS 2, DUP 0;
      // stored before it leaves so that it can be resent after a failure.
      const next: AwaitingPubrec = { state: 'AwaitingPubrec', packetId: event.packetId, message: event.message }
      return {
        state: next,
        actions: [
          { type: 'persist', direction: 'outbound', flow: next },
          { type: 'send', packet: publishPacket(event.message, event.packetId, false) }
        ]
      }
    }
    case 'pubrecReceived': {
      const { packetId, reasonCode } = event.packet
      // v5 [MQTT-4.3.3-4] with Reason Code 0x92: a PUBREC for an id we hold no flow for is
      // released anyway, so that a receiver still waiting for PUBREL can finish its side.
      if (state === undefined) return { state: undefined, actions: [{ type: 'send', packet: pubrel(packetId, REASON_PACKET_ID_NOT_FOUND) }] }
      if (isFailureReason(reasonCode)) {
        if (state.state === 'AwaitingPubcomp') {
          throw new UnexpectedPacketError('pubrec', state.state, 'v5 [MQTT-4.3.3-4] a refusing PUBREC cannot follow an accepting one')
        }
        // v5 [MQTT-4.4.0-2] [MQTT-4.3.3-9]: refused; the flow ends and is never retransmitted.
        const reasonString = event.packet.properties?.reasonString
        const outcome = reasonString === undefined
          ? { ok: false as const, reasonCode: reasonCode as number }
          : { ok: false as const, reasonCode: reasonCode as number, reasonString }
        return { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: state.packetId, outcome }] }
      }
      // v3.1.1 [MQTT-4.3.3-1], v5 [MQTT-4.3.3-4] [MQTT-4.3.3-5]: PUBREL with the same id, kept
      // until PUBCOMP. The new state is stored before the PUBREL leaves: once PUBREL is out, the
      // PUBLISH must never be resent (v5 [MQTT-4.3.3-6]), even after a restart. A repeated PUBREC
      // while awaiting PUBCOMP is answered with the same PUBREL.
      const next: AwaitingPubcomp = { state: 'AwaitingPubcomp', packetId: state.packetId }
      return {
        state: next,
        actions: state.state === 'AwaitingPubrec'
          ? [{ type: 'persist', direction: 'outbound', flow: next }, { type: 'send', packet: pubrel(state.packetId, REASON_SUCCESS) }]
          : [{ type: 'send', packet: pubrel(state.packetId, REASON_SUCCESS) }]
      }
    }
    case 'pubcompReceived':
      // A PUBCOMP for an unknown id is a late duplicate: dropped.
      if (state === undefined) return { state: undefined, actions: [] }
      if (state.state === 'AwaitingPubrec') {
        throw new UnexpectedPacketError('pubcomp', state.state, 'v5 [MQTT-4.3.3-11] PUBCOMP answers a PUBREL, and none was sent')
      }
      // v5 [MQTT-4.3.3-5]: the PUBREL is acknowledged; the id may be reused.
      return { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: state.packetId, outcome: ACCEPTED }] }
    case 'pubackReceived':
      if (state === undefined) return { state: undefined, actions: [] }
      throw new UnexpectedPacketError('puback', state.state, 'v5 [MQTT-4.3.3-8] a QoS 2 PUBLISH is acknowledged by PUBREC')
    case 'connectionLost':
      // v5 [MQTT-4.4.0-1]: nothing is resent on the connection that failed.
      return { state, actions: [] }
    case 'sessionResumed':
      if (state === undefined) return { state, actions: [] }
      // v3.1.1 [MQTT-4.4.0-1], v5 [MQTT-4.4.0-1]: resend what is unacknowledged with the
      // original id: the PUBLISH with DUP=1 before PUBREC, the PUBREL after it (never the
      // PUBLISH again, v5 [MQTT-4.3.3-6]).
      return {
        state,
        actions: [{
          type: 'send',
          packet: state.state === 'AwaitingPubrec' ? publishPacket(state.message, state.packetId, true) : pubrel(state.packetId, REASON_SUCCESS)
        }]
      }
    default:
      return assertNever(event, 'sender event')
  }
}

function pubrel (packetId: number, reasonCode: number): PubrelPacket {
  return { type: 'pubrel', packetId, reasonCode }
}

