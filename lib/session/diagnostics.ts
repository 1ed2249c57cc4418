/**
 * Observability without hooks (ARCHITECTURE rule 10): QoS flow transitions are published on a
 * node:diagnostics_channel channel, and only built when someone subscribes.
 */
import diagnostics from 'node:diagnostics_channel'
import type { InboundFlow, OutboundFlow } from '../qos/types.js'

export type FlowStateName = OutboundFlow['state'] | InboundFlow['state']

/** What `qosmos:qos:transition` carries. `from`/`to` undefined: no flow (starting or ended). */
export interface QosTransitionMessage {
  /** The Session object, to tell sessions apart. */
  readonly session: object
  readonly direction: 'outbound' | 'inbound'
  readonly packetId: number
  readonly from: FlowStateName | undefined
  readonly to: FlowStateName | undefined
}

export const QOS_TRANSITION_CHANNEL = 'qosmos:qos:transition'
const transitions = diagnostics.channel(QOS_TRANSITION_CHANNEL)

export function traceTransition (
  session: object, direction: 'outbound' | 'inbound', packetId: number, from: FlowStateName | undefined, to: FlowStateName | undefined
): void {
  if (from !== to && transitions.hasSubscribers) {
    const message: QosTransitionMessage = { session, direction, packetId, from, to }
    transitions.publish(message)
  }
}
