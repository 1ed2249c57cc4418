/**
 * v5 Topic Aliases (3.3.2.3.4) for one network connection, both ways. Aliases never outlive the
 * connection (v5 [MQTT-3.3.2-7] [MQTT-3.3.2-10]), so a new pair is made for each.
 */
import { TopicAliasInvalidError } from '../core/errors.js'
import type { PublishPacket } from '../protocol/packets.js'

/**
 * Ours towards the server: at most the server's Topic Alias Maximum (v5 [MQTT-3.3.2-9]), never 0
 * ([MQTT-3.3.2-8]). The least recently used alias is reassigned when all are taken.
 */
export class OutboundAliases {
  readonly #maximum: number
  /** topic -> alias, in least-recently-used-first order (Map order, refreshed on use). */
  readonly #byTopic = new Map<string, number>()

  constructor (maximum: number) { this.#maximum = maximum }

  /** The PUBLISH to write: topic + new alias, alias alone (empty topic), or unchanged. */
  apply (packet: PublishPacket): PublishPacket {
    if (this.#maximum === 0 || packet.topic === '' || packet.properties?.topicAlias !== undefined) return packet
    const known = this.#byTopic.get(packet.topic)
    if (known !== undefined) {
      this.#byTopic.delete(packet.topic)
      this.#byTopic.set(packet.topic, known)
      return { ...packet, topic: '', properties: { ...packet.properties, topicAlias: known } }
    }
    let alias = this.#byTopic.size + 1
    if (this.#byTopic.size >= this.#maximum) {
      const [oldest, reused] = this.#byTopic.entries().next().value as [string, number]
      this.#byTopic.delete(oldest)
      alias = reused
    }
    this.#byTopic.set(packet.topic, alias)
    return { ...packet, properties: { ...packet.properties, topicAlias: alias } }
  }

  /** The packet built by `apply` was not written: forget the mapping it introduced. */
  forget (topic: string): void { this.#byTopic.delete(topic) }
}

/** The server's towards us, up to the Topic Alias Maximum we announced (v5 [MQTT-3.3.2-11] [MQTT-3.3.2-12]). */
export class InboundAliases {
  readonly #maximum: number
  readonly #topics = new Map<number, string>()

  constructor (maximum: number) { this.#maximum = maximum }

  /** The PUBLISH with its topic filled in; throws TopicAliasInvalidError (0x94) for a bad alias. */
  resolve (packet: PublishPacket): PublishPacket {
    const alias = packet.properties?.topicAlias
    if (alias === undefined) return packet
    // v5 [MQTT-3.3.2-8] 0 is not an alias; [MQTT-3.3.2-11] none above our maximum.
    if (alias === 0 || alias > this.#maximum) throw new TopicAliasInvalidError(`topic alias ${alias} outside 1..${this.#maximum}`)
    if (packet.topic !== '') {
      this.#topics.set(alias, packet.topic)
      return packet
    }
    const topic = this.#topics.get(alias)
    if (topic === undefined) throw new TopicAliasInvalidError(`topic alias ${alias} has no topic on this connection`)
    return { ...packet, topic }
  }
}
