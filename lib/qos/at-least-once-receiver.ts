/**
 * At-least-once receiver (QoS 1): take ownership of the message, then acknowledge. It keeps no
 * flow: after its PUBACK, a PUBLISH with the same id is a new message (v5 [MQTT-4.3.2-5]).
 */
import type { PublishPacket } from '../protocol/packets.js'
import { toPacketId } from '../core/ids.js'
import { messageOf } from './at-most-once.js'
import { isFailureReason, refusalCode, refusalProperties, type Action, type Refusal } from './types.js'

/**
 * v3.1.1 [MQTT-4.3.2-2], v5 [MQTT-4.3.2-4]: PUBACK with the same id, sent only after the
 * message has been delivered onward (the session awaits `deliver`, which is durable where the
 * store is), so the acknowledgement never promises what could still be lost. With `refuse`
 * (a reason code >= 0x80, v5 only) nothing is delivered and the PUBACK carries the refusal.
 */
export function atLeastOnceReceive (packet: PublishPacket, refuse?: Refusal): readonly Action[] {
  const packetId = toPacketId(packet.packetId ?? 0)
  const code = refusalCode(refuse)
  if (refuse !== undefined && code !== undefined && isFailureReason(code)) {
    return [{ type: 'send', packet: { type: 'puback', packetId, reasonCode: code, ...refusalProperties(refuse) } }]
  }
  return [
    { type: 'deliver', message: messageOf(packet), packetId },
    { type: 'send', packet: { type: 'puback', packetId, reasonCode: 0 } }
  ]
}
