/**
 * The client's subscriptions: SUBSCRIBE / UNSUBSCRIBE requests waiting for their SUBACK /
 * UNSUBACK (by packet id; the ids come from the session's one allocator, v5 [MQTT-2.2.1-3]),
 * the filters granted (to resubscribe when the server kept no session), and the message
 * streams that receive matching messages.
 */
import { ClientClosedError, SubscribeRejectedError } from '../core/errors.js'
import type { SubackPacket, SubscribePacket, SubscribeProperties, SubscriptionRequest, UnsubackPacket, UnsubscribePacket } from '../protocol/packets.js'
import type { ApplicationMessage } from '../qos/types.js'
import { MessageStream } from './message-stream.js'
import { filterMatches, parseSharedSubscription } from '../protocol/topics.js'

type Request =
  | { readonly kind: 'subscribe', readonly packet: SubscribePacket, readonly resolve: (ack: SubackPacket) => void, readonly reject: (error: Error) => void }
  | { readonly kind: 'unsubscribe', readonly packet: UnsubscribePacket, readonly resolve: (ack: UnsubackPacket) => void, readonly reject: (error: Error) => void }

interface Active {
  readonly request: SubscriptionRequest
  readonly properties: SubscribeProperties | undefined
}

export interface StreamEntry {
  readonly filters: readonly string[]
  readonly stream: MessageStream
}

export class Subscriptions {
  readonly #pending = new Map<number, Request>()
  readonly #active = new Map<string, Active>()
  readonly #streams = new Set<StreamEntry>()

  /** Requests not yet answered, in the order they were made (resent on a new connection). */
  get pending (): ReadonlyArray<SubscribePacket | UnsubscribePacket> { return [...this.#pending.values()].map(r => r.packet) }

  async subscribe (packet: SubscribePacket): Promise<SubackPacket> {
    return await new Promise<SubackPacket>((resolve, reject) => { this.#pending.set(packet.packetId, { kind: 'subscribe', packet, resolve, reject }) })
  }

  async unsubscribe (packet: UnsubscribePacket): Promise<UnsubackPacket> {
    return await new Promise<UnsubackPacket>((resolve, reject) => { this.#pending.set(packet.packetId, { kind: 'unsubscribe', packet, resolve, reject }) })
  }

  /**
   * A SUBACK: v5 [MQTT-3.9.3-1] / v3.1.1 [MQTT-3.9.3-1] one code per filter, in order. Granted
   * filters are remembered for resubscribing. Returns false for an id with no request.
   */
  suback (ack: SubackPacket): boolean {
    const request = this.#pending.get(ack.packetId)
    if (request?.kind !== 'subscribe') return false
    this.#pending.delete(ack.packetId)
    const packet = request.packet
    packet.subscriptions.forEach((sub, i) => {
      const code = ack.reasonCodes[i] ?? 0x80
      if (code < 0x80) this.#active.set(sub.topicFilter, { request: sub, properties: packet.properties })
    })
    if (ack.reasonCodes.length > 0 && ack.reasonCodes.every(c => c >= 0x80)) request.reject(new SubscribeRejectedError(ack.reasonCodes, ack.properties?.reasonString))
    else request.resolve(ack)
    return true
  }

  unsuback (ack: UnsubackPacket): boolean {
    const request = this.#pending.get(ack.packetId)
    if (request?.kind !== 'unsubscribe') return false
    this.#pending.delete(ack.packetId)
    for (const filter of request.packet.topicFilters) this.#active.delete(filter)
    request.resolve(ack)
    return true
  }

  /**
   * A new connection: waiting requests go out again (with new ids when the server kept no
   * session, whose ids were discarded); without a session, the granted filters are subscribed
   * again (`resubscribe`) or forgotten. A refused resubscription is reported.
   */
  connected (sessionPresent: boolean, resubscribe: boolean, allocate: () => number, send: (packet: SubscribePacket | UnsubscribePacket) => void, report: (error: Error) => void): void {
    if (!sessionPresent) this.reassign(allocate)
    for (const packet of this.pending) send(packet)
    if (sessionPresent) return
    if (!resubscribe) { this.forgetActive(); return }
    for (const template of this.resubscriptions()) {
      const packet = { ...template, packetId: allocate() }
      this.subscribe(packet).then(ack => {
        if (ack.reasonCodes.some(c => c >= 0x80)) report(new SubscribeRejectedError(ack.reasonCodes, `resubscribing ${template.subscriptions[0]?.topicFilter ?? ''}`))
      }, (error: Error) => { if (!(error instanceof ClientClosedError)) report(error) })
      send(packet)
    }
  }

  /** The subscriptions to send again when the server kept no session, one SUBSCRIBE each (without ids). */
  resubscriptions (): Array<Omit<SubscribePacket, 'packetId'>> {
    return [...this.#active.values()].map(({ request, properties }) => ({
      type: 'subscribe' as const,
      subscriptions: [request],
      ...(properties === undefined ? {} : { properties })
    }))
  }

  /** The session's ids were discarded (clean start): each waiting request takes a new one. */
  reassign (allocate: () => number): void {
    const requests = [...this.#pending.values()]
    this.#pending.clear()
    for (const request of requests) {
      const packetId = allocate()
      this.#pending.set(packetId, { ...request, packet: { ...request.packet, packetId } } as Request)
    }
  }

  /** The filters of a session that is gone (clean start): forgotten unless resubscribed. */
  forgetActive (): void { this.#active.clear() }

  addStream (filters: readonly string[]): StreamEntry {
    const entry = { filters, stream: new MessageStream() }
    this.#streams.add(entry)
    return entry
  }

  removeStream (entry: StreamEntry): void {
    this.#streams.delete(entry)
    entry.stream.end()
  }

  /** Hands the message to each open stream with a matching filter; with `track`, the promises of their consumers moving on. */
  route (message: ApplicationMessage, track: boolean): Array<Promise<void>> {
    const waits: Array<Promise<void>> = []
    for (const entry of this.#streams) {
      if (!entry.filters.some(f => filterMatches(parseSharedSubscription(f)?.filter ?? f, message.topic))) continue
      const processed = entry.stream.push(message, track)
      if (processed !== undefined) waits.push(processed)
    }
    return waits
  }

  /** The client ended: every request rejects, every stream ends. Returns the ids to free. */
  close (error: Error = new ClientClosedError()): number[] {
    const ids = [...this.#pending.keys()]
    const requests = [...this.#pending.values()]
    this.#pending.clear()
    for (const request of requests) request.reject(error)
    for (const entry of this.#streams) entry.stream.end()
    this.#streams.clear()
    return ids
  }
}
