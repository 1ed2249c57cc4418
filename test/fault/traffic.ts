/**
 * The traffic of a fault-injection run: persistent-session publishers that stream numbered
 * messages through their session with a bounded number outstanding, and persistent
 * subscribers of `fault/#` at QoS 2, all recorded in one Ledger.
 */
import type { QoS } from '../../lib/protocol/packets.js'
import { FaultClient } from './fault-client.js'
import { Ledger, payloadOf, topicOf } from './ledger.js'
import type { Rng } from './rng.js'

export interface TrafficOptions {
  readonly rng: Rng
  readonly port: () => number
  readonly publishers: number
  readonly subscribers: number
  /** The QoS levels messages are drawn from. */
  readonly qos: readonly QoS[]
  /** Messages a publisher may have outstanding (not yet PUBACK/PUBCOMP) at once. */
  readonly window: number
  readonly reconnectDelay?: readonly [number, number]
}

export interface PublisherTally { published: number, failed: number, failures: string[] }

export class Traffic {
  readonly ledger = new Ledger()
  readonly publishers: FaultClient[] = []
  readonly subscribers: FaultClient[] = []
  readonly tally: PublisherTally = { published: 0, failed: 0, failures: [] }
  readonly #o: TrafficOptions
  #stopPublishing = false

  constructor (options: TrafficOptions) {
    this.#o = options
    const { rng, port } = options
    const reconnectDelay = options.reconnectDelay ?? [5, 40]
    // Protocol levels alternate: 5.0 and 3.1.1 clients side by side.
    for (let i = 0; i < options.subscribers; i++) {
      const id = `sub${i}`
      this.subscribers.push(new FaultClient({ clientId: id, version: i % 2 === 0 ? 5 : 4, port, rng: rng.fork(), reconnectDelay, receiveMaximum: 32, deliver: this.ledger.deliverTo(id) }))
    }
    for (let i = 0; i < options.publishers; i++) {
      this.publishers.push(new FaultClient({ clientId: `pub${i}`, version: i % 2 === 0 ? 5 : 4, port, rng: rng.fork(), reconnectDelay, ...this.ledger.publisherHooks() }))
    }
  }

  get clients (): FaultClient[] { return [...this.subscribers, ...this.publishers] }

  /** Connects everybody and subscribes the subscribers. */
  async setUp (): Promise<void> {
    await Promise.all(this.clients.map(c => c.start()))
    await Promise.all(this.subscribers.map(s => s.subscribe('fault/#', 2)))
  }

  /** Ends `streamUntilStopped` loops at their next message. */
  stopPublishing (): void { this.#stopPublishing = true }

  /**
   * Each publisher sends `count` messages (or, with Infinity, until `stopPublishing`), and the
   * promise settles when every one of them has its outcome (PUBACK, PUBCOMP, written or failed).
   */
  async publishAll (count: number): Promise<void> {
    await Promise.all(this.publishers.map((p, i) => this.#stream(p, `pub${i}`, count, this.#o.rng.fork())))
  }

  async #stream (client: FaultClient, name: string, count: number, rng: Rng): Promise<void> {
    const outstanding = new Set<Promise<void>>()
    for (let seq = 0; seq < count && !this.#stopPublishing; seq++) {
      while (outstanding.size >= this.#o.window) await Promise.race(outstanding)
      const qos = rng.pick(this.#o.qos)
      // Mostly small messages, some of a few KiB (spread over several TCP chunks).
      const padding = rng.chance(0.05) ? rng.int(1000, 6000) : rng.int(0, 120)
      this.ledger.published(name, qos, seq)
      this.tally.published++
      const p: Promise<void> = client.publish({ topic: topicOf(name, qos), payload: payloadOf(name, qos, seq, padding), qos, retain: false })
        .catch((error: Error) => {
          // A QoS 0 message offered while no connection is attached is dropped: at most once.
          if (qos === 0) return
          this.tally.failed++
          if (this.tally.failures.length < 10) this.tally.failures.push(`${name} #${seq} QoS ${qos}: ${error.name} ${error.message}`)
        })
        .finally(() => { outstanding.delete(p) })
      outstanding.add(p)
      if (rng.chance(0.1)) await new Promise(resolve => setTimeout(resolve, rng.int(0, 3)))
    }
    await Promise.all(outstanding)
  }

  /**
   * Waits for `work`; '' when it settled, else why not: nothing was acknowledged or delivered
   * for `stallMs` (a wedge), or `capMs` passed.
   */
  async progress (work: Promise<unknown>, stallMs: number, capMs: number): Promise<string> {
    let done = false
    void work.finally(() => { done = true })
    const start = Date.now()
    let last = this.ledger.events
    let lastAt = start
    while (!done) {
      await Promise.race([work, new Promise(resolve => setTimeout(resolve, 200))])
      const now = Date.now()
      if (this.ledger.events !== last) { last = this.ledger.events; lastAt = now }
      if (!done && now - lastAt > stallMs) return `no acknowledgement or delivery for ${stallMs} ms`
      if (!done && now - start > capMs) return `not done after ${capMs} ms`
    }
    return ''
  }

  /** Waits until every subscriber has every acknowledged message; '' or why not (see `progress`). */
  async drained (stallMs: number, capMs: number): Promise<string> {
    let waiting = true
    const complete = (async () => { while (waiting && !this.ledger.complete()) await new Promise(resolve => setTimeout(resolve, 25)) })()
    const why = await this.progress(complete, stallMs, capMs)
    waiting = false
    return why
  }

  async stop (): Promise<void> {
    await Promise.all(this.clients.map(c => c.stop()))
  }

  /** Summed client counters. */
  clientStats (): { connects: number, drops: number, sessionsLost: number, protocolErrors: string[], sessionErrors: string[] } {
    const out = { connects: 0, drops: 0, sessionsLost: 0, protocolErrors: [] as string[], sessionErrors: [] as string[] }
    for (const c of this.clients) {
      out.connects += c.stats.connects
      out.drops += c.stats.drops
      out.sessionsLost += c.stats.sessionsLost
      out.protocolErrors.push(...c.stats.protocolErrors.map(e => `${c.id}: ${e}`))
      out.sessionErrors.push(...c.stats.sessionErrors.map(e => `${c.id}: ${e}`))
    }
    return out
  }
}
