/**
 * The ledger of a fault-injection run: what each publisher sent and had acknowledged, what
 * each subscriber was handed, and the verdict on the three guarantees.
 *
 * A message is `publisher|qos|seq|padding` on topic `fault/<publisher>/q<qos>`. A stream is one
 * publisher's messages at one QoS (one topic). Per subscriber and stream:
 *  - lost: a QoS 1/2 message whose PUBACK/PUBREC the publisher received, never delivered;
 *  - duplicated: delivered more than once (allowed for QoS 1 only);
 *  - order violation: a message delivered for the first time after a later one of its stream
 *    (v5 4.6: per topic, the order of first delivery follows the publisher's order);
 *  - unknown: a delivery of something never published.
 */
import type { Packet, QoS } from '../../lib/protocol/packets.js'
import type { ApplicationMessage } from '../../lib/qos/types.js'

export interface Verdict {
  published: [number, number, number]
  acknowledged: [number, number, number]
  deliveries: number
  lost: number
  /** Of `lost`, QoS 1 and QoS 2. */
  lostQos1: number
  lostQos2: number
  duplicatesQos0: number
  duplicatesQos1: number
  duplicatesQos2: number
  orderViolations: number
  unknown: number
  /** The first few problems, for the log. */
  problems: string[]
}

export const topicOf = (publisher: string, qos: QoS): string => `fault/${publisher}/q${qos}`

export function payloadOf (publisher: string, qos: QoS, seq: number, padding: number): Buffer {
  return Buffer.from(`${publisher}|${qos}|${seq}|${'x'.repeat(padding)}`)
}

function parse (payload: Buffer): { stream: string, qos: QoS, seq: number } | undefined {
  const [publisher, qos, seq] = payload.toString().split('|')
  if (publisher === undefined || qos === undefined || seq === undefined) return undefined
  return { stream: `${publisher}|${qos}`, qos: Number(qos) as QoS, seq: Number(seq) }
}

export class Ledger {
  /** stream -> seqs handed to the publisher's session (QoS 1/2) or written (QoS 0). */
  readonly #published = new Map<string, Set<number>>()
  readonly #acked = new Map<string, Set<number>>()
  /** subscriber -> stream -> seqs in delivery order. */
  readonly #received = new Map<string, Map<string, number[]>>()
  /** Acknowledgements and deliveries so far: a wedge is a run where this stops moving. */
  events = 0

  /** Hooks for a publisher's client: notes QoS 0 writes, and which QoS 1/2 PUBLISH got its PUBACK/PUBREC. */
  publisherHooks (): { sent: (p: Packet) => void, received: (p: Packet) => void } {
    const inFlight = new Map<number, { stream: string, seq: number }>()
    return {
      sent: (p) => {
        if (p.type !== 'publish') return
        const m = parse(p.payload)
        if (m === undefined) return
        if (p.qos === 0) this.#add(this.#published, m.stream, m.seq)
        else if (p.packetId !== undefined) inFlight.set(p.packetId, m)
      },
      received: (p) => {
        if (p.type !== 'puback' && p.type !== 'pubrec') return
        const m = inFlight.get(p.packetId)
        if (m === undefined || (p.reasonCode ?? 0) >= 0x80) return
        this.events++
        this.#add(this.#acked, m.stream, m.seq)
      }
    }
  }

  /** A QoS 1/2 message handed to a publisher's session. */
  published (publisher: string, qos: QoS, seq: number): void {
    if (qos > 0) this.#add(this.#published, `${publisher}|${qos}`, seq)
  }

  /** What a subscriber's client hands to its application. */
  deliverTo (subscriber: string): (message: ApplicationMessage) => void {
    const streams = new Map<string, number[]>()
    this.#received.set(subscriber, streams)
    return (message) => {
      this.events++
      const m = parse(message.payload)
      const key = m?.stream ?? `?|${message.topic}`
      let list = streams.get(key)
      if (list === undefined) streams.set(key, list = [])
      list.push(m?.seq ?? -1)
    }
  }

  /** True when every subscriber has every acknowledged QoS 1/2 message at least once. */
  complete (): boolean {
    for (const streams of this.#received.values()) {
      for (const [stream, acked] of this.#acked) {
        const got = new Set(streams.get(stream) ?? [])
        for (const seq of acked) if (!got.has(seq)) return false
      }
    }
    return true
  }

  verdict (): Verdict {
    const count = (map: Map<string, Set<number>>, qos: number): number =>
      [...map].filter(([k]) => k.endsWith(`|${qos}`)).reduce((n, [, s]) => n + s.size, 0)
    const v: Verdict = {
      published: [count(this.#published, 0), count(this.#published, 1), count(this.#published, 2)],
      acknowledged: [0, count(this.#acked, 1), count(this.#acked, 2)],
      deliveries: 0, lost: 0, lostQos1: 0, lostQos2: 0, duplicatesQos0: 0, duplicatesQos1: 0, duplicatesQos2: 0, orderViolations: 0, unknown: 0, problems: []
    }
    const problem = (text: string): void => { if (v.problems.length < 20) v.problems.push(text) }
    for (const [subscriber, streams] of this.#received) {
      for (const [stream, seqs] of streams) {
        v.deliveries += seqs.length
        const qos = Number(stream.split('|')[1])
        const published = this.#published.get(stream) ?? new Set<number>()
        const seen = new Set<number>()
        let highest = -1
        for (const seq of seqs) {
          if (!published.has(seq)) { v.unknown++; problem(`${subscriber}: unknown ${stream} #${seq}`); continue }
          if (seen.has(seq)) {
            if (qos === 0) v.duplicatesQos0++
            else if (qos === 1) v.duplicatesQos1++
            else v.duplicatesQos2++
            if (qos !== 1) problem(`${subscriber}: duplicate QoS ${qos} ${stream} #${seq}`)
            continue
          }
          seen.add(seq)
          if (qos > 0 && seq < highest) { v.orderViolations++; problem(`${subscriber}: ${stream} #${seq} first delivered after #${highest}`) }
          if (seq > highest) highest = seq
        }
      }
      for (const [stream, acked] of this.#acked) {
        const got = new Set(streams.get(stream) ?? [])
        for (const seq of acked) if (!got.has(seq)) { v.lost++; if (stream.endsWith('|1')) v.lostQos1++; else v.lostQos2++; problem(`${subscriber}: lost ${stream} #${seq} (acknowledged to the publisher)`) }
      }
    }
    return v
  }

  #add (map: Map<string, Set<number>>, stream: string, seq: number): void {
    let set = map.get(stream)
    if (set === undefined) map.set(stream, set = new Set())
    set.add(seq)
  }
}
