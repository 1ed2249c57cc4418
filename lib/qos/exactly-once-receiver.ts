/**
 * Exactly-once receiver (QoS 2): deliver the message onward once, on its first PUBLISH, and
 * remember the id until PUBREL. A repeated PUBLISH with that id is answered with PUBREC and not
 * delivered again; PUBREL ends the flow and frees the id.
 */
import { assertNever } from '../core/assert-never.js'
import { toPacketId } from '../core/ids.js'
import type { PubcompPacket, PubrecPacket } from '../protocol/packets.js'
import { messageOf } from './at-most-once.js'
import { REASON_PACKET_ID_NOT_FOUND, REASON_SUCCESS, isFailureReason, refusalCode, refusalProperties, type AwaitingPubrel, type ReceiverEvent, type Transition } from './types.js'

export function exactlyOnceReceiver (state: AwaitingPubrel | undefined, event: ReceiverEvent): Transition<AwaitingPubrel> {
  switch (event.type) {
    case 'publishReceived': {
      const packetId = toPacketId(event.packet.packetId ?? 0)
      if (state !== undefined) {
        // v3.1.1 [MQTT-4.3.3-2], v5 [MQTT-4.3.3-10]: until PUBREL, a PUBLISH with this id is
        // the same message: answer PUBREC again and do not deliver it a second time.
        return { state, actions: [{ type: 'send', packet: pubrec(packetId, REASON_SUCCESS) }] }
      }
      const code = refusalCode(event.refuse)
      if (event.refuse !== undefined && code !== undefined && isFailureReason(code)) {
        // v5 [MQTT-4.3.3-9]: after a refusing PUBREC no flow is kept; the id is free again.
        return { state: undefined, actions: [{ type: 'send', packet: { ...pubrec(packetId, code), ...refusalProperties(event.refuse) } }] }
      }
      // v3.1.1 [MQTT-4.3.3-2], v5 [MQTT-4.3.3-8]: take ownership and answer PUBREC. The id is
      // stored first, so that no later duplicate is delivered twice, then the message is
      // delivered onward, and only then is the PUBREC sent.
      const next: AwaitingPubrel = { state: 'AwaitingPubrel', packetId }
      return {
        state: next,
        actions: [
          { type: 'persist', direction: 'inbound', flow: next },
          { type: 'deliver', message: messageOf(event.packet), packetId },
          { type: 'send', packet: pubrec(packetId, REASON_SUCCESS) }
        ]
      }
    }
    case 'pubrelReceived': {
      const packetId = toPacketId(event.packet.packetId)
      // v5 [MQTT-4.3.3-11] with Reason Code 0x92: a PUBREL for an id we do not hold (already
      // completed, or lost with a clean session) is still answered, so the sender can finish.
      if (state === undefined) return { state: undefined, actions: [{ type: 'send', packet: pubcomp(packetId, REASON_PACKET_ID_NOT_FOUND) }] }
      // v3.1.1 [MQTT-4.3.3-2], v5 [MQTT-4.3.3-11] [MQTT-4.3.3-12]: forget the id, then PUBCOMP.
      // Forgetting first means a crash in between leaves no stale id that would swallow a
      // later message; the sender's resent PUBREL is then answered by the rule above.
      return {
        state: undefined,
        actions: [
          { type: 'forget', direction: 'inbound', packetId },
          { type: 'send', packet: pubcomp(packetId, REASON_SUCCESS) }
        ]
      }
    }
    case 'connectionLost':
    case 'sessionResumed':
      // The receiver resends nothing: v5 [MQTT-4.4.0-1] makes the sender resend PUBLISH or PUBREL.
      return { state, actions: [] }
    default:
      return assertNever(event, 'receiver event')
  }
}

function pubrec (packetId: number, reasonCode: number): PubrecPacket {
  return { type: 'pubrec', packetId, reasonCode }
}

function pubcomp (packetId: number, reasonCode: number): PubcompPacket {
  return { type: 'pubcomp', packetId, reasonCode }
}
