/**
 * What `TopicTree.match` returns: the deliveries one PUBLISH causes. Non-shared subscriptions are
 * merged into one entry per client; shared subscriptions come as Shares, one per (group, filter),
 * for the broker to pick a single member from.
 */
import type { QoS } from '../protocol/packets.js'
import type { Share } from './shared-groups.js'

/** One subscription as the tree stores it. */
export interface Subscription {
  readonly clientId: string
  /**
   * The Topic Filter exactly as the client sent it, `$share/{group}/` prefix included. Together
   * with `clientId` it identifies the subscription: subscribing again with the same pair replaces
   * it (v3.1.1 [MQTT-3.8.4-3], v5 [MQTT-3.8.4-3]) and UNSUBSCRIBE compares it character by
   * character (v3.1.1 and v5 [MQTT-3.10.4-1]).
   */
  readonly filter: string
  /** Granted maximum QoS. */
  readonly qos: QoS
  /** v5 No Local: never receive messages this same client published (v5 [MQTT-3.8.3-3]). */
  readonly noLocal?: boolean
  /** v5 Retain As Published: forward the RETAIN flag as received (v5 [MQTT-3.3.1-12], [MQTT-3.3.1-13]). */
  readonly retainAsPublished?: boolean
  /** v5 Retain Handling; the tree stores it, the broker applies it at subscribe time. */
  readonly retainHandling?: 0 | 1 | 2
  /** v5 Subscription Identifier, 1..268,435,455. */
  readonly subscriptionIdentifier?: number
  /**
   * The ShareName of a shared subscription. Optional: the tree derives it from `filter`; when it
   * is given it must agree with `filter`.
   */
  readonly shareGroup?: string
}

/**
 * The one copy of a message a client gets for all its matching non-shared subscriptions
 * (overlapping subscriptions, v3.1.1 [MQTT-3.3.5-1], v5 [MQTT-3.3.4-2] .. [MQTT-3.3.4-4]).
 */
export interface ClientDelivery<S extends Subscription = Subscription> {
  readonly clientId: string
  /**
   * Highest granted QoS among `subscriptions`. The broker still sends
   * min(this, published QoS) (v3.1.1 [MQTT-3.8.4-6], v5 [MQTT-3.8.4-8]).
   */
  readonly qos: QoS
  /** Every distinct Subscription Identifier of `subscriptions`, in match order (v5 [MQTT-3.3.4-3], [MQTT-3.3.4-4]). */
  readonly subscriptionIdentifiers: readonly number[]
  /**
   * True when at least one of `subscriptions` has Retain As Published. When the subscriptions
   * disagree a single copy cannot honour both; `splitByRetainAsPublished` gives the two copies
   * that do (v5 [MQTT-3.3.4-5] allows one copy per subscription).
   */
  readonly retainAsPublished: boolean
  /** The client's subscriptions that matched, at least one. */
  readonly subscriptions: readonly S[]
}

export interface MatchResult<S extends Subscription = Subscription> {
  /** One entry per client with at least one matching non-shared subscription. */
  readonly clients: readonly ClientDelivery<S>[]
  /** Every shared subscription whose filter matches; the message goes to ONE member of each. */
  readonly shares: readonly Share<S>[]
}

const NO_IDS: readonly number[] = Object.freeze([])
const NO_SHARES: readonly never[] = Object.freeze([])

/** @internal Mutable while `match` builds it; handed out as a read-only ClientDelivery. */
export class Delivery<S extends Subscription> implements ClientDelivery<S> {
  readonly clientId: string
  qos: QoS
  subscriptionIdentifiers: readonly number[]
  retainAsPublished: boolean
  /** Whether any of `subscriptions` has No Local: only then can the publisher's entry change. */
  hasNoLocal: boolean
  // Most clients match through one subscription: its array is only made when someone asks.
  readonly #first: S
  #all: S[] | undefined = undefined

  constructor (sub: S) {
    this.clientId = sub.clientId
    this.qos = sub.qos
    const id = sub.subscriptionIdentifier
    this.subscriptionIdentifiers = id === undefined ? NO_IDS : [id]
    this.retainAsPublished = sub.retainAsPublished === true
    this.hasNoLocal = sub.noLocal === true
    this.#first = sub
  }

  get subscriptions (): readonly S[] {
    return this.#all ??= [this.#first]
  }

  add (sub: S): void {
    if (sub.qos > this.qos) this.qos = sub.qos
    const id = sub.subscriptionIdentifier
    if (id !== undefined) {
      const ids = this.subscriptionIdentifiers
      if (ids.length === 0) this.subscriptionIdentifiers = [id]
      else if (!ids.includes(id)) (ids as number[]).push(id)
    }
    if (sub.retainAsPublished === true) this.retainAsPublished = true
    if (sub.noLocal === true) this.hasNoLocal = true
    if (this.#all === undefined) this.#all = [this.#first, sub]
    else this.#all.push(sub)
  }
}

/** Merges subscriptions of one client into a delivery; `undefined` for none. */
export function deliveryOf<S extends Subscription> (subs: readonly S[]): Delivery<S> | undefined {
  let d: Delivery<S> | undefined
  for (const sub of subs) {
    if (d === undefined) d = new Delivery(sub)
    else d.add(sub)
  }
  return d
}

/**
 * v5 [MQTT-3.3.4-5]: when a client's matching subscriptions disagree on Retain As Published, one
 * copy per setting (each with its own QoS and Subscription Identifiers) honours every one of them.
 * Returns `[delivery]` unchanged when they agree.
 */
export function splitByRetainAsPublished<S extends Subscription> (delivery: ClientDelivery<S>): readonly ClientDelivery<S>[] {
  if (!delivery.retainAsPublished) return [delivery]
  const keep = delivery.subscriptions.filter(s => s.retainAsPublished === true)
  if (keep.length === delivery.subscriptions.length) return [delivery]
  const clear = delivery.subscriptions.filter(s => s.retainAsPublished !== true)
  return [deliveryOf(keep) as Delivery<S>, deliveryOf(clear) as Delivery<S>]
}

/** @internal The MatchResult `match` builds and caches. Never mutated once built. */
export class Matched<S extends Subscription> implements MatchResult<S> {
  readonly clients: readonly Delivery<S>[]
  readonly shares: readonly Share<S>[]
  /** Entries with some No Local subscription: the only ones a publisher id can change. */
  readonly #noLocal: readonly Delivery<S>[]

  constructor (clients: readonly Delivery<S>[], shares: readonly Share<S>[] | undefined, noLocal: readonly Delivery<S>[]) {
    this.clients = clients
    this.shares = shares ?? NO_SHARES
    this.#noLocal = noLocal
  }

  /**
   * The deliveries for a message published by `publisherId`: v5 [MQTT-3.8.3-3] No Local drops
   * that client's No Local subscriptions. Its other matching subscriptions still deliver
   * (v3.1.1 and v5 [MQTT-4.5.0-1]), merged without the dropped ones; with none left the client
   * gets nothing. Returns `this` (no copy) whenever nothing changes.
   */
  forPublisher (publisherId: string): Matched<S> {
    const noLocal = this.#noLocal
    for (let k = 0; k < noLocal.length; k++) {
      const d = noLocal[k] as Delivery<S>
      if (d.clientId !== publisherId) continue
      const rest = deliveryOf(d.subscriptions.filter(s => s.noLocal !== true))
      const clients = rest === undefined
        ? this.clients.filter(c => c !== d)
        : this.clients.map(c => c === d ? rest : c)
      return new Matched(clients, this.shares, [])
    }
    return this
  }
}

export const EMPTY_MATCH: Matched<never> = new Matched<never>([], undefined, [])
