/**
 * Topic aliases. Outbound (server to client): the broker assigns aliases up to the client's
 * Topic Alias Maximum (v5 [MQTT-3.1.2-26]; none when it is 0 or absent, [MQTT-3.1.2-27]),
 * reusing the least recently used one when all are taken. Inbound: the aliases a client set
 * on this connection (v5 [MQTT-3.3.2-10], [MQTT-3.3.2-12]).
 */
import { ProtocolViolationError, TopicAliasInvalidError } from '../core/errors.js'
import type { PublishPacket } from '../protocol/packets.js'

export class OutboundTopicAliases {
  readonly #max: number
  /** topic -> alias, in least-recently-used order (oldest first). */
  readonly #byTopic = new Map<string, number>()
  #next = 1

  constructor (max: number) { this.#max = max }

  /** Returns the PUBLISH to send: with the alias only when the client knows it already. */
  apply (packet: PublishPacket): PublishPacket {
    const known = this.#byTopic.get(packet.topic)
    if (known !== undefined) {
      this.#byTopic.delete(packet.topic)
      this.#byTopic.set(packet.topic, known)
      return { ...packet, topic: '', properties: { ...packet.properties, topicAlias: known } }
    }
    let alias: number
    if (this.#next <= this.#max) {
      alias = this.#next++
    } else {
      const oldest = this.#byTopic.entries().next().value as [string, number]
      this.#byTopic.delete(oldest[0])
      alias = oldest[1]
    }
    this.#byTopic.set(packet.topic, alias)
    return { ...packet, properties: { ...packet.properties, topicAlias: alias } }
  }

  /** Undoes the last assignment for a PUBLISH that was not sent after all. */
  forgetLast (sent: PublishPacket): void {
    if (sent.topic !== '') {
      this.#byTopic.delete(sent.topic)
    }
  }
}

export class InboundTopicAliases {
  readonly #max: number
  readonly #topics = new Map<number, string>()
  constructor (max: number) { this.#max = max }

  /**
   * Resolves the topic of an incoming PUBLISH. v5 [MQTT-3.3.2-8]: an alias of 0 or above our
   * Topic Alias Maximum is a protocol error (0x94); an empty topic with an unknown alias too.
   */
  resolve (packet: PublishPacket): PublishPacket {
    const alias = packet.properties?.topicAlias
    if (alias === undefined) return packet
    if (alias === 0 || alias > this.#max) throw new TopicAliasInvalidError(`topic alias ${alias} outside 1..${this.#max}`)
    if (packet.topic !== '') {
      this.#topics.set(alias, packet.topic)
      return packet
    }
    const topic = this.#topics.get(alias)
    if (topic === undefined) throw new ProtocolViolationError(`topic alias ${alias} has no topic on this connection`)
    return { ...packet, topic }
  }
}
