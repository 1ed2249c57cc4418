/**
 * The machines the model drives, behind two small interfaces so that a test can plug in a
 * deliberately broken sender or receiver and show that the checker notices.
 */
import type { PacketId } from '../../../lib/core/ids.js'
import type { PubackPacket, PubcompPacket, PublishPacket, PubrecPacket, PubrelPacket } from '../../../lib/protocol/packets.js'
import { atLeastOnceSender } from '../../../lib/qos/at-least-once-sender.js'
import { exactlyOnceReceiver } from '../../../lib/qos/exactly-once-receiver.js'
import { exactlyOnceSender } from '../../../lib/qos/exactly-once-sender.js'
import * as flows from '../../../lib/qos/flows.js'
import type { ApplicationMessage, InboundFlow, OutboundFlow, Transition } from '../../../lib/qos/types.js'

export interface SenderMachines {
  start (message: ApplicationMessage, packetId: PacketId | undefined): Transition<OutboundFlow>
  onPuback (flow: OutboundFlow | undefined, packet: PubackPacket): Transition<OutboundFlow>
  onPubrec (flow: OutboundFlow | undefined, packet: PubrecPacket): Transition<OutboundFlow>
  onPubcomp (flow: OutboundFlow | undefined, packet: PubcompPacket): Transition<OutboundFlow>
  onConnectionLost (flow: OutboundFlow): Transition<OutboundFlow>
  onSessionResumed (flow: OutboundFlow): Transition<OutboundFlow>
}

export interface ReceiverMachines {
  onPublish (flow: InboundFlow | undefined, packet: PublishPacket, refuse?: number): Transition<InboundFlow>
  onPubrel (flow: InboundFlow | undefined, packet: PubrelPacket): Transition<InboundFlow>
  onConnectionLost (flow: InboundFlow): Transition<InboundFlow>
  onSessionResumed (flow: InboundFlow): Transition<InboundFlow>
}

/** lib/qos as a session drives it: flows.ts dispatch, plus the machines' connectionLost event. */
export const realSender: SenderMachines = {
  start: flows.startPublish,
  onPuback: flows.onPuback,
  onPubrec: flows.onPubrec,
  onPubcomp: flows.onPubcomp,
  onConnectionLost: flow => flow.state === 'AwaitingPuback'
    ? atLeastOnceSender(flow, { type: 'connectionLost' })
    : exactlyOnceSender(flow, { type: 'connectionLost' }),
  onSessionResumed: flows.onSessionResumed
}

export const realReceiver: ReceiverMachines = {
  onPublish: (flow, packet, refuse) => refuse === undefined ? flows.onPublish(flow, packet) : flows.onPublish(flow, packet, refuse),
  onPubrel: flows.onPubrel,
  onConnectionLost: flow => exactlyOnceReceiver(flow, { type: 'connectionLost' }),
  onSessionResumed: flow => exactlyOnceReceiver(flow, { type: 'sessionResumed' })
}
