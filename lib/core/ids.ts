declare const packetIdBrand: unique symbol

/** An MQTT packet identifier: an integer in 1..65535 (v3.1.1 [MQTT-2.3.1-1], v5 [MQTT-2.2.1-3]). */
export type PacketId = number & { readonly [packetIdBrand]: true }

export const MIN_PACKET_ID = 1
export const MAX_PACKET_ID = 0xffff

export function isPacketId (value: unknown): value is PacketId {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_PACKET_ID && value <= MAX_PACKET_ID
}

/** Brands a number as a packet identifier, throwing a RangeError for 0 or out-of-range values. */
export function toPacketId (value: number): PacketId {
  if (!isPacketId(value)) throw new RangeError(`packet identifier must be an integer in 1..65535, got ${value}`)
  return value
}
