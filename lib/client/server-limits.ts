/** What the server said in CONNACK it takes, checked before a message is handed to the session (v5). */
import { PacketTooLargeError, PublishRejectedError } from '../core/errors.js'
import type { ConnackProperties, PublishPacket } from '../protocol/packets.js'
import type { ApplicationMessage } from '../qos/types.js'

export function checkServerLimits (props: ConnackProperties | undefined, message: ApplicationMessage, sizeOf: ((packet: PublishPacket) => number) | undefined): void {
  if (props === undefined) return
  // v5 [MQTT-3.2.2-11]: no PUBLISH above the server's Maximum QoS.
  if (props.maximumQoS !== undefined && message.qos > props.maximumQoS) throw new PublishRejectedError(0x9b, `the server's Maximum QoS is ${props.maximumQoS}`)
  // v5 [MQTT-3.2.2-14]: no RETAIN 1 when Retain Available is 0.
  if (message.retain && props.retainAvailable === false) throw new PublishRejectedError(0x9a, 'the server does not support retained messages')
  // v5 [MQTT-3.2.2-15]: nothing larger than the server's Maximum Packet Size.
  const limit = props.maximumPacketSize
  if (limit !== undefined && sizeOf !== undefined) {
    const size = sizeOf(toPacket(message))
    if (size > limit) throw new PacketTooLargeError(size, limit)
  }
}

function toPacket (message: ApplicationMessage): PublishPacket {
  return {
    type: 'publish', topic: message.topic, payload: message.payload, qos: message.qos, retain: message.retain, dup: false,
    ...(message.qos > 0 ? { packetId: 1 } : {}),
    ...(message.properties === undefined ? {} : { properties: message.properties })
  }
}

/**
 * v5 4.11: the host and port of a Server Reference (its first entry, `host[:port]` or
 * `[ipv6][:port]`) for 0x9C Use another server / 0x9D Server moved; undefined otherwise.
 */
export function serverReferenceTarget (reasonCode: number, reference: string | undefined): { host: string, port?: number } | undefined {
  if (reference === undefined || (reasonCode !== 0x9c && reasonCode !== 0x9d)) return undefined
  const first = reference.split(' ')[0] ?? ''
  const match = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(first)
  if (match === null) return undefined
  return { host: match[1] as string, ...(match[2] === undefined ? {} : { port: Number(match[2]) }) }
}
