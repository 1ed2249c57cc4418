/**
 * Small builders shared by the step tables, the model check and the property tests: numbered
 * application messages (the payload names the message, so a delivery can be traced back to the
 * message it carries), packets, and a compact rendering of packets for test titles and traces.
 */
import { toPacketId, type PacketId } from '../../../lib/core/ids.js'
import type {
  Packet, PubackPacket, PubcompPacket, PublishPacket, PubrecPacket, PubrelPacket, QoS
} from '../../../lib/protocol/packets.js'
import type { ApplicationMessage } from '../../../lib/qos/types.js'

export const TOPIC = 'qosmos/model'

/** Message number `n` with the given QoS; its payload is `m<n>`. */
export function message (n: number, qos: QoS): ApplicationMessage {
  return { topic: TOPIC, payload: Buffer.from(`m${n}`), qos, retain: false }
}

/** The message number a payload built by `message` carries, or -1. */
export function messageNumber (payload: Buffer): number {
  const match = /^m(\d+)$/.exec(payload.toString('utf8'))
  return match === null ? -1 : Number(match[1])
}

export function pid (n: number): PacketId {
  return toPacketId(n)
}

export function publish (msg: ApplicationMessage, packetId: number | undefined, dup: boolean): PublishPacket {
  const base = { type: 'publish' as const, topic: msg.topic, payload: msg.payload, qos: msg.qos, retain: msg.retain, dup }
  return packetId === undefined ? base : { ...base, packetId }
}

export function puback (packetId: number, reasonCode?: number, reasonString?: string): PubackPacket {
  return ack('puback', packetId, reasonCode, reasonString)
}
export function pubrec (packetId: number, reasonCode?: number, reasonString?: string): PubrecPacket {
  return ack('pubrec', packetId, reasonCode, reasonString)
}
export function pubrel (packetId: number, reasonCode?: number): PubrelPacket {
  return ack('pubrel', packetId, reasonCode, undefined)
}
export function pubcomp (packetId: number, reasonCode?: number): PubcompPacket {
  return ack('pubcomp', packetId, reasonCode, undefined)
}

function ack<T extends 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'> (type: T, packetId: number, reasonCode: number | undefined, reasonString: string | undefined): { type: T, packetId: number, reasonCode?: number, properties?: { reasonString: string } } {
  const base = reasonCode === undefined ? { type, packetId } : { type, packetId, reasonCode }
  return reasonString === undefined ? base : { ...base, properties: { reasonString } }
}

/** One short token per packet, e.g. `PUBLISH(m2 q2 #1 dup)`, `PUBREC(#1 0x92)`. */
export function describePacket (packet: Packet): string {
  switch (packet.type) {
    case 'publish':
      return `PUBLISH(m${messageNumber(packet.payload)} q${packet.qos}${packet.packetId === undefined ? '' : ` #${packet.packetId}`}${packet.dup ? ' dup' : ''})`
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return `${packet.type.toUpperCase()}(#${packet.packetId}${packet.reasonCode === undefined ? '' : ` 0x${packet.reasonCode.toString(16).padStart(2, '0')}`})`
    default:
      return packet.type.toUpperCase()
  }
}
