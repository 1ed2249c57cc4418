import type { PacketId } from '../core/ids.js'
import type { PublishPacket } from '../protocol/packets.js'
import type { ApplicationMessage } from './types.js'

/** Builds the PUBLISH for a message; `packetId` is present exactly when QoS > 0. */
export function publishPacket (message: ApplicationMessage, packetId: PacketId | undefined, dup: boolean): PublishPacket {
  const base = { type: 'publish' as const, topic: message.topic, payload: message.payload, qos: message.qos, retain: message.retain, dup }
  const withId = packetId === undefined ? base : { ...base, packetId }
  return message.properties === undefined ? withId : { ...withId, properties: message.properties }
}
