/**
 * At-most-once (QoS 0): send once, never store, never resend. Neither side keeps a flow, so a
 * message is delivered at most once and may be lost with the connection.
 */
import type { PublishPacket } from '../protocol/packets.js'
import { publishPacket } from './publish-packet.js'
import type { Action, ApplicationMessage } from './types.js'

/** v3.1.1 and v5 [MQTT-4.3.1-1]: one PUBLISH with QoS 0 and DUP 0, then the flow is over. */
export function atMostOnceSend (message: ApplicationMessage): readonly Action[] {
  return [{ type: 'send', packet: publishPacket(message, undefined, false) }]
}

/** A QoS 0 PUBLISH is delivered onward and needs no acknowledgement. */
export function atMostOnceReceive (packet: PublishPacket): readonly Action[] {
  return [{ type: 'deliver', message: messageOf(packet) }]
}

/** The application message a PUBLISH carries (DUP and packet id belong to the flow, not the message). */
export function messageOf (packet: PublishPacket): ApplicationMessage {
  const { topic, payload, qos, retain, properties } = packet
  // Literals, not a spread: once per received PUBLISH (see publish-packet.ts).
  return properties === undefined ? { topic, payload, qos, retain } : { topic, payload, qos, retain, properties }
}
