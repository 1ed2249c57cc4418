/**
 * Dispatch: which machine handles a packet, given the flow (if any) the session holds for its
 * packet id. Outbound and inbound flows live in separate tables, so an id used by both sides
 * at once never mixes them up (v5 [MQTT-2.2.1-5]: acknowledgements echo the PUBLISH's id).
 */
import type { PacketId } from '../core/ids.js'
import type { PubackPacket, PubcompPacket, PublishPacket, PubrecPacket, PubrelPacket } from '../protocol/packets.js'
import { atLeastOnceReceive } from './at-least-once-receiver.js'
import { atLeastOnceSender } from './at-least-once-sender.js'
import { atMostOnceReceive, atMostOnceSend } from './at-most-once.js'
import { exactlyOnceReceiver } from './exactly-once-receiver.js'
import { exactlyOnceSender } from './exactly-once-sender.js'
import type { ApplicationMessage, InboundFlow, OutboundFlow, Refusal, Transition } from './types.js'

/** Starts a flow for a new message. QoS 0 needs no id and yields no state. */
export function startPublish (message: ApplicationMessage, packetId: PacketId | undefined): Transition<OutboundFlow> {
  switch (message.qos) {
    case 0: return { state: undefined, actions: atMostOnceSend(message) }
    case 1: return atLeastOnceSender(undefined, { type: 'publishRequested', packetId: requireId(packetId), message })
    case 2: return exactlyOnceSender(undefined, { type: 'publishRequested', packetId: requireId(packetId), message })
  }
}

export function onPuback (flow: OutboundFlow | undefined, packet: PubackPacket): Transition<OutboundFlow> {
  return flow === undefined || flow.state === 'AwaitingPuback'
    ? atLeastOnceSender(flow, { type: 'pubackReceived', packet })
    : exactlyOnceSender(flow, { type: 'pubackReceived', packet })
}

export function onPubrec (flow: OutboundFlow | undefined, packet: PubrecPacket): Transition<OutboundFlow> {
  return flow?.state === 'AwaitingPuback'
    ? atLeastOnceSender(flow, { type: 'pubrecReceived', packet })
    : exactlyOnceSender(flow, { type: 'pubrecReceived', packet })
}

export function onPubcomp (flow: OutboundFlow | undefined, packet: PubcompPacket): Transition<OutboundFlow> {
  return flow?.state === 'AwaitingPuback'
    ? atLeastOnceSender(flow, { type: 'pubcompReceived', packet })
    : exactlyOnceSender(flow, { type: 'pubcompReceived', packet })
}

/** Resending on a resumed session: what each unfinished outbound flow sends again. */
export function onSessionResumed (flow: OutboundFlow): Transition<OutboundFlow> {
  return flow.state === 'AwaitingPuback'
    ? atLeastOnceSender(flow, { type: 'sessionResumed' })
    : exactlyOnceSender(flow, { type: 'sessionResumed' })
}

/** A PUBLISH from the peer; `refuse` is a reason code >= 0x80 chosen by the caller (v5). */
export function onPublish (flow: InboundFlow | undefined, packet: PublishPacket, refuse?: Refusal): Transition<InboundFlow> {
  switch (packet.qos) {
    // A refused QoS 0 message has no acknowledgement to carry the code; it is simply not taken.
    case 0: return { state: flow, actions: refuse === undefined ? atMostOnceReceive(packet) : [] }
    case 1: return { state: flow, actions: atLeastOnceReceive(packet, refuse) }
    case 2: return exactlyOnceReceiver(flow, refuse === undefined ? { type: 'publishReceived', packet } : { type: 'publishReceived', packet, refuse })
  }
}

export function onPubrel (flow: InboundFlow | undefined, packet: PubrelPacket): Transition<InboundFlow> {
  return exactlyOnceReceiver(flow, { type: 'pubrelReceived', packet })
}

function requireId (packetId: PacketId | undefined): PacketId {
  if (packetId === undefined) throw new RangeError('a QoS 1 or 2 publication needs a packet identifier')
  return packetId
}

