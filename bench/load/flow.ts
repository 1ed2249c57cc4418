/**
 * Publishers with an in-flight window, and subscribers that count what they receive.
 *
 * A publisher may have at most `window` messages unacknowledged by the broker (QoS 1/2), AND at
 * most `window` messages not yet seen by its subscribers (end to end, every QoS): the second
 * bound keeps a slow subscriber from making the broker queue without limit, so QoS 0 is measured
 * as delivered traffic, not as traffic the broker buffered or dropped. When the end-to-end window
 * stays full with no progress for `stallMs` (messages lost), it is released and a stall is noted.
 * `fanout` 0 means no subscriber: only the broker window applies.
 */
import { performance } from 'node:perf_hooks'
import type { BenchQoS } from '../lib/types.js'
import type { LoadClient } from './client.js'
import type { PublishTemplate } from './codec.js'

export class Publisher {
  sent = 0
  completed = 0
  refused = 0
  /** Receptions of this publisher's messages, summed over its subscribers. */
  received = 0
  stalls = 0
  #released = 0
  #running = false
  #nextId = 1
  readonly #inUse = new Uint8Array(65536)
  readonly #window: number
  #lastProgress = 0
  #lastProgressAt = 0
  /** Fixed-rate mode: send only up to this many messages in total. */
  allowance = Number.POSITIVE_INFINITY
  /** Fixed-rate mode: the intended send time of message `seq` (for latency without coordinated omission). */
  sendTime: ((seq: number) => number) | undefined

  constructor (
    readonly client: LoadClient,
    readonly template: Pick<PublishTemplate, 'build'>,
    readonly qos: BenchQoS,
    window: number,
    readonly fanout: number
  ) {
    this.#window = Math.max(1, Math.min(window, qos === 0 ? window : client.receiveMaximum))
    client.onComplete = (packetId, reasonCode) => {
      if (this.#inUse[packetId] === 0) return
      this.#inUse[packetId] = 0
      this.completed++
      if (reasonCode >= 0x80) this.refused++
      this.pump()
    }
  }

  start (): void {
    this.#running = true
    this.#lastProgressAt = performance.now()
    this.pump()
  }

  stop (): void { this.#running = false }

  get outstanding (): number { return this.sent - this.completed }

  /** A subscriber received one of this publisher's messages. */
  delivered (): void {
    this.received++
    if (this.#running) this.pump()
  }

  pump (): void {
    const window = this.#window
    const fanout = this.fanout
    while (this.#running && this.sent < this.allowance &&
      (this.qos === 0 || this.sent - this.completed < window) &&
      (fanout === 0 || this.sent * fanout - this.received - this.#released < window * fanout)) {
      let packetId = 0
      if (this.qos > 0) {
        packetId = this.#takeId()
        this.#inUse[packetId] = 1
      }
      const seq = this.sent++
      this.client.send(this.template.build(packetId, seq, this.sendTime?.(seq) ?? performance.now()))
      if (this.qos === 0) this.completed++
    }
  }

  /** Called periodically: releases an end-to-end window that has made no progress for stallMs. */
  checkStall (now: number, stallMs: number): void {
    const progress = this.received + this.completed
    if (progress !== this.#lastProgress) {
      this.#lastProgress = progress
      this.#lastProgressAt = now
      return
    }
    if (!this.#running || now - this.#lastProgressAt < stallMs) return
    const blockedEndToEnd = this.fanout > 0 && this.sent * this.fanout - this.received - this.#released >= this.#window * this.fanout
    if (blockedEndToEnd) {
      this.stalls++
      this.#released = this.sent * this.fanout - this.received
      this.#lastProgressAt = now
      this.pump()
    }
  }

  #takeId (): number {
    for (let i = 0; i < 65535; i++) {
      const id = this.#nextId
      this.#nextId = id === 65535 ? 1 : id + 1
      if (this.#inUse[id] === 0) return id
    }
    throw new Error('no free packet identifier')
  }
}

/** What one subscriber received: per publisher a growable bitmap of sequence numbers seen. */
export class Receipts {
  received = 0
  unique = 0
  duplicated = 0
  lastAt = 0
  readonly #seen: Uint8Array[] = []

  /** Records (publisher, seq); returns false for a duplicate. */
  record (publisherId: number, seq: number): boolean {
    this.received++
    this.lastAt = performance.now()
    let seen = this.#seen[publisherId]
    if (seen === undefined || seq >= seen.length) {
      const grown = new Uint8Array(Math.max(1024, (seq + 1) * 2))
      if (seen !== undefined) grown.set(seen)
      this.#seen[publisherId] = grown
      seen = grown
    }
    if (seen[seq] === 1) { this.duplicated++; return false }
    seen[seq] = 1
    this.unique++
    return true
  }
}

/** Latency samples in milliseconds, kept only while `recording`. */
export class LatencySamples {
  recording = false
  #samples = new Float64Array(4096)
  #count = 0

  add (ms: number): void {
    if (!this.recording) return
    if (this.#count === this.#samples.length) {
      const grown = new Float64Array(this.#samples.length * 2)
      grown.set(this.#samples)
      this.#samples = grown
    }
    this.#samples[this.#count++] = ms
  }

  summary (): { p50Ms: number, p90Ms: number, p99Ms: number, p999Ms: number, maxMs: number, samples: number } | undefined {
    if (this.#count === 0) return undefined
    const sorted = this.#samples.slice(0, this.#count).sort()
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
    return { p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), p999Ms: at(0.999), maxMs: sorted[sorted.length - 1] as number, samples: this.#count }
  }
}
