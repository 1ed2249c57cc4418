/**
 * At-least-once sender (QoS 1): keep the PUBLISH until its PUBACK arrives; resend it with DUP=1
 * when the session resumes on a new connection, and only then. May duplicate, never loses.
 */
import { assertNever } from '../core/assert-never.js'
import { UnexpectedPacketError } from '../core/errors.js'
import { publishPacket } from './publish-packet.js'
import { ACCEPTED, isFailureReason, type AwaitingPuback, type SenderEvent, type Transition } from './types.js'

type State = AwaitingPuback | undefined

export function atLeastOnceSender (state: State, event: SenderEvent): Transition<AwaitingPuback> {
  switch (event.type) {
    case 'publishRequested': {
      if (state !== undefined) {
        throw new UnexpectedPacketError('publish', state.state, 'v5 [MQTT-4.3.2-1] a new message needs an unused packet identifier')
      }
      // v3.1.1 [MQTT-4.3.2-1], v5 [MQTT-4.3.2-1] [MQTT-4.3.2-2]: an unused id, QoS 1, DUP 0;
      // the flow is stored before the PUBLISH leaves so that it can be resent after a failure.
      const next: AwaitingPuback = { state: 'AwaitingPuback', packetId: event.packetId, message: event.message }
      return {
        state: next,
        actions: [
          { type: 'persist', direction: 'outbound', flow: next },
          { type: 'send', packet: publishPacket(event.message, event.packetId, false) }
        ]
      }
    }
    case 'pubackReceived': {
      if (state === undefined) return ignoreUnknownAck()
      // v3.1.1 [MQTT-4.3.2-1], v5 [MQTT-4.3.2-3]: unacknowledged until the PUBACK arrives;
      // v5 [MQTT-4.4.0-2]: a reason code >= 0x80 also ends the flow, as refused, never resent.
      const { reasonCode } = event.packet
      const reasonString = event.packet.properties?.reasonString
      const outcome = isFailureReason(reasonCode)
        ? (reasonString === undefined ? { ok: false as const, reasonCode: reasonCode as number } : { ok: false as const, reasonCode: reasonCode as number, reasonString })
        : ACCEPTED
      return { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: state.packetId, outcome }] }
    }
    case 'pubrecReceived':
    case 'pubcompReceived':
      if (state === undefined) return ignoreUnknownAck()
      throw new UnexpectedPacketError(event.type.replace('Received', ''), state.state,
        'v5 [MQTT-4.3.2-4] a QoS 1 PUBLISH is acknowledged by PUBACK only')
    case 'connectionLost':
      // v5 [MQTT-4.4.0-1]: never resent on the same connection; wait for a resumed session.
      return { state, actions: [] }
    case 'sessionResumed':
      if (state === undefined) return { state, actions: [] }
      // v3.1.1 [MQTT-4.4.0-1], v5 [MQTT-4.4.0-1]: resend with the original id and DUP=1.
      return { state, actions: [{ type: 'send', packet: publishPacket(state.message, state.packetId, true) }] }
    default:
      return assertNever(event, 'sender event')
  }
}

/**
 * A PUBACK for an id with no flow (a late duplicate after the flow ended) is dropped: no
 * statement asks for an answer, and answering could acknowledge a newer flow's id.
 */
function ignoreUnknownAck (): Transition<never> {
  return { state: undefined, actions: [] }
}
