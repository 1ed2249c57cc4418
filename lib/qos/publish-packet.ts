import type { PacketId } from '../core/ids.js'
import type { PublishPacket } from '../protocol/packets.js'
import type { ApplicationMessage } from './types.js'

/**
 * Builds the PUBLISH for a message; `packetId` is present exactly when QoS > 0. Written as four
 * literals rather than spreads: this runs once per delivery, and object spread is several times
 * slower here (bench/micro/qos-transitions.ts).
 */
export function publishPacket (message: ApplicationMessage, packetId: PacketId | undefined, dup: boolean): PublishPacket {
  const { topic, payload, qos, retain, properties } = message
  if (packetId === undefined) {
    return properties === undefined
      ? { type: 'publish', topic, payload, qos, retain, dup }
      : { type: 'publish', topic, payload, qos, retain, dup, properties }
  }
  return properties === undefined
    ? { type: 'publish', topic, payload, qos, retain, dup, packetId }
    : { type: 'publish', topic, payload, qos, retain, dup, packetId, properties }
}
