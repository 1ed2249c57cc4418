/** The events a Client emits, and the message type the application receives. */
import type { ConnackPacket, DisconnectPacket } from '../protocol/packets.js'
import type { ApplicationMessage } from '../qos/types.js'

export type Message = ApplicationMessage

export interface ClientEventMap {
  /** A connection was accepted (the first, and each reconnect). */
  connect: [connack: ConnackPacket]
  /** A reconnect attempt starts (1, 2, ...). */
  reconnect: [attempt: number]
  /** The client lost its connection and will try again. */
  offline: []
  /** A network connection closed; `error` says why unless it was ours. */
  close: [error: Error | undefined]
  /** The server sent DISCONNECT (v5). */
  disconnect: [packet: DisconnectPacket]
  /** Emitted only when someone listens: a failed attempt, a storage failure, a throwing handler. */
  error: [error: Error]
  /** A message arrived: MQTT.js's (topic, payload, packet) order. */
  message: [topic: string, payload: Buffer, message: Message]
  /** The client has ended for good. */
  end: []
}
