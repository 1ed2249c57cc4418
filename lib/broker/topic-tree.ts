/**
 * The subscription topic tree: a trie over topic levels ('/'-separated) holding every
 * subscription of the broker, shared ones included. `match(topic)` is on the hot path (once per
 * PUBLISH): one `split`, an explicit reused stack instead of recursion, no regexes, and per-client
 * merging through an epoch stamp instead of a per-call Map. An optional LRU cache keyed by topic
 * name (topic-tree-cache.ts) admits a topic on its second miss, steps aside while its hit rate is
 * low, and is cleared by every change of the subscriptions.
 *
 * Matching rules (section 4.7 of both versions):
 * - v3.1.1 [MQTT-4.7.1-3], v5 [MQTT-4.7.1-2]: '+' matches exactly one level, possibly empty.
 * - v3.1.1 [MQTT-4.7.1-2], v5 [MQTT-4.7.1-1]: '#' is last and matches the parent level and any
 *   number of child levels ('sport/#' matches 'sport').
 * - v3.1.1 [MQTT-4.7.2-1], v5 [MQTT-4.7.2-1]: filters starting with a wildcard never match topic
 *   names starting with '$'.
 * - v3.1.1 [MQTT-4.7.3-4], v5 [MQTT-4.7.3-4]: levels compare as exact, case-sensitive strings,
 *   without normalization; empty levels ('a//b') are levels like any other.
 *
 * `$share/{group}/{filter}` is always parsed as a shared subscription (as mosquitto, EMQX and
 * HiveMQ do, also for 3.1.1 clients); a broker that wants otherwise rejects it at SUBSCRIBE.
 */
import { InvalidArgumentError, ProtocolViolationError } from '../core/errors.js'
import { parseSharedFilter, Share } from './shared-groups.js'
import { Delivery, EMPTY_MATCH, Matched } from './topic-tree-result.js'
import type { MatchResult, Subscription } from './topic-tree-result.js'
import { MatchCache, type MatchCacheOptions } from './topic-tree-cache.js'
import { Node, filterLevels } from './topic-tree-node.js'
import type { ClientRecord, Entry } from './topic-tree-node.js'

export { Share, parseSharedFilter } from './shared-groups.js'
export type { ShareMember } from './shared-groups.js'
export { splitByRetainAsPublished } from './topic-tree-result.js'
export type { ClientDelivery, MatchResult, Subscription } from './topic-tree-result.js'
export type { MatchCacheOptions } from './topic-tree-cache.js'

export interface TopicTreeOptions {
  /**
   * Topic names whose match results are kept (LRU; a topic enters on its second miss; the cache
   * steps aside while its hit rate is low). 0, the default, disables the cache: it pays off only
   * when publications repeat a working set of topics (see bench/micro/topic-tree.ts).
   */
  readonly matchCacheSize?: number
  /** How the cache measures its hit rate and steps aside (tests and benchmarks). */
  readonly matchCache?: MatchCacheOptions
}

const DOLLAR = 36 // '$'

export class TopicTree<S extends Subscription = Subscription> {
  readonly #root = new Node<S>(undefined, '')
  readonly #clients = new Map<string, ClientRecord<S>>()
  #size = 0
  #nodeCount = 0
  #epoch = 0
  readonly #cache: MatchCache<Matched<S>> | undefined
  // The match stack, reused by every call (match never calls out, so it is never re-entered).
  readonly #stackNodes: Node<S>[] = []
  readonly #stackDepths: number[] = []
  // What the match in progress has found so far.
  #found: Delivery<S>[] | undefined = undefined
  #foundShares: Share<S>[] | undefined = undefined
  #foundNoLocal: Delivery<S>[] | undefined = undefined

  constructor (options: TopicTreeOptions = {}) {
    const cacheSize = options.matchCacheSize ?? 0
    if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new InvalidArgumentError(`matchCacheSize must be a non-negative integer, got ${cacheSize}`)
    this.#cache = cacheSize > 0 ? new MatchCache(cacheSize, options.matchCache) : undefined
  }

  /** Whether the match cache currently steps aside (low hit rate); false without a cache. */
  get matchCacheBypassed (): boolean { return this.#cache?.bypassed ?? false }

  /** Number of subscriptions, shared memberships included. */
  get size (): number { return this.#size }

  /** Number of trie nodes below the root; 0 for an empty tree (no empty node is ever left behind). */
  get nodeCount (): number { return this.#nodeCount }

  /**
   * Adds a subscription, or replaces the client's subscription with the same full filter
   * (v3.1.1 [MQTT-3.8.4-3], v5 [MQTT-3.8.4-3]). `replaced` tells Retain Handling 1 whether the
   * subscription already existed (v5 [MQTT-3.3.1-10]).
   */
  subscribe (sub: S): { readonly replaced: boolean, readonly previous?: S } {
    const shared = parseSharedFilter(sub.filter)
    const topicFilter = shared === undefined ? sub.filter : shared.topicFilter
    const levels = filterLevels(topicFilter)
    if (sub.shareGroup !== undefined && sub.shareGroup !== shared?.group) {
      throw new InvalidArgumentError(`shareGroup "${sub.shareGroup}" disagrees with filter "${sub.filter}"`)
    }
    if (shared !== undefined && sub.noLocal === true) {
      throw new ProtocolViolationError(`No Local on shared subscription "${sub.filter}" (v5 [MQTT-3.8.3-4])`)
    }
    this.#invalidate()

    let client = this.#clients.get(sub.clientId)
    const existing = client?.entries.get(sub.filter)
    if (existing !== undefined) {
      const previous = existing.sub
      existing.sub = sub
      existing.share?.upsert(sub)
      return { replaced: true, previous }
    }
    if (client === undefined) {
      client = { clientId: sub.clientId, entries: new Map(), epoch: 0, delivery: undefined }
      this.#clients.set(sub.clientId, client)
    }

    let node = this.#root
    for (const level of levels) {
      let next = node.findChild(level)
      if (next === undefined) { next = node.addChild(level); this.#nodeCount++ }
      node = next
    }

    let share: Share<S> | undefined
    if (shared !== undefined) {
      share = node.shares?.find(s => s.group === shared.group)
      if (share === undefined) {
        share = new Share<S>(shared.group, topicFilter)
        if (node.shares === undefined) node.shares = [share]
        else node.shares.push(share)
      }
      share.upsert(sub)
    }
    const entry: Entry<S> = { sub, node, client, index: share === undefined ? node.subs.length : -1, share }
    if (share === undefined) node.subs.push(entry)
    client.entries.set(sub.filter, entry)
    this.#size++
    return { replaced: false }
  }

  /** Removes the client's subscription with exactly this filter (v3.1.1 and v5 [MQTT-3.10.4-1]). */
  unsubscribe (clientId: string, filter: string): boolean {
    const client = this.#clients.get(clientId)
    const entry = client?.entries.get(filter)
    if (client === undefined || entry === undefined) return false
    this.#invalidate()
    client.entries.delete(filter)
    if (client.entries.size === 0) this.#clients.delete(clientId)
    this.#detach(entry)
    return true
  }

  /** Removes every subscription of the client, shared memberships included; returns them. */
  removeClient (clientId: string): S[] {
    const client = this.#clients.get(clientId)
    if (client === undefined) return []
    this.#invalidate()
    this.#clients.delete(clientId)
    const removed: S[] = []
    for (const entry of client.entries.values()) {
      removed.push(entry.sub)
      this.#detach(entry)
    }
    return removed
  }

  /** The client's subscription with exactly this filter. */
  get (clientId: string, filter: string): S | undefined {
    return this.#clients.get(clientId)?.entries.get(filter)?.sub
  }

  /** The client's subscriptions, in the order they were first made. */
  subscriptionsOf (clientId: string): S[] {
    const client = this.#clients.get(clientId)
    if (client === undefined) return []
    const out: S[] = []
    for (const entry of client.entries.values()) out.push(entry.sub)
    return out
  }

  /**
   * The deliveries a message published to `topic` causes. With `publisherClientId`, that client's
   * No Local subscriptions are left out (v5 [MQTT-3.8.3-3]). The result may be shared with other
   * calls (cache): treat it as read-only. Shares are live: pick from them with `pickMember`.
   */
  match (topic: string, publisherClientId?: string): MatchResult<S> {
    const cache = this.#cache
    let result = cache?.get(topic)
    if (result === undefined) {
      result = this.#collect(topic)
      cache?.offer(topic, result)
    }
    return publisherClientId === undefined ? result : result.forPublisher(publisherClientId)
  }

  /**
   * Round-robin choice of the one member of a Share that gets a message, skipping members for
   * which `isEligible` is false; `undefined` when none is eligible.
   */
  pickMember (share: Share<S>, isEligible?: (member: S) => boolean): S | undefined {
    return share.pick(isEligible)
  }

  #collect (topic: string): Matched<S> {
    const levels = topic.split('/')
    const n = levels.length
    // v3.1.1 and v5 [MQTT-4.7.2-1]: no wildcard at the first level matches a '$' topic.
    const dollar = topic.charCodeAt(0) === DOLLAR
    const epoch = ++this.#epoch
    const nodes = this.#stackNodes
    const depths = this.#stackDepths
    this.#found = undefined
    this.#foundShares = undefined
    this.#foundNoLocal = undefined

    // Depth-first over the nodes whose filter prefix matches the topic prefix. Each node is
    // reached through one path only, so it is visited at most once per match.
    nodes[0] = this.#root
    depths[0] = 0
    let sp = 1
    while (sp > 0) {
      sp--
      const node = nodes[sp] as Node<S>
      const i = depths[sp] as number
      const wild = i !== 0 || !dollar
      // '#' matches the parent level and everything below it.
      if (wild && node.hash !== undefined) this.#take(node.hash, epoch)
      if (i === n) { this.#take(node, epoch); continue } // the filter ends where the topic ends
      const next = node.exact?.get(levels[i] as string)
      if (next !== undefined) { nodes[sp] = next; depths[sp] = i + 1; sp++ }
      if (wild && node.plus !== undefined) { nodes[sp] = node.plus; depths[sp] = i + 1; sp++ }
    }
    const clients = this.#found
    const shares = this.#foundShares
    if (clients === undefined && shares === undefined) return EMPTY_MATCH as Matched<never>
    const result = new Matched<S>(clients ?? [], shares, this.#foundNoLocal ?? [])
    this.#found = undefined
    this.#foundShares = undefined
    this.#foundNoLocal = undefined
    return result
  }

  /** Adds the subscriptions held by a matching node to the match being built. */
  #take (node: Node<S>, epoch: number): void {
    const subs = node.subs
    for (let k = 0; k < subs.length; k++) {
      const entry = subs[k] as Entry<S>
      const client = entry.client
      let d: Delivery<S>
      let hadNoLocal = false
      if (client.epoch !== epoch) {
        // First matching subscription of this client in this match: one entry per client.
        d = new Delivery(entry.sub)
        client.epoch = epoch
        client.delivery = d
        if (this.#found === undefined) this.#found = [d]
        else this.#found.push(d)
      } else {
        d = client.delivery as Delivery<S>
        hadNoLocal = d.hasNoLocal
        d.add(entry.sub)
      }
      if (d.hasNoLocal && !hadNoLocal) {
        if (this.#foundNoLocal === undefined) this.#foundNoLocal = [d]
        else this.#foundNoLocal.push(d)
      }
    }
    const shares = node.shares
    if (shares !== undefined) {
      if (this.#foundShares === undefined) this.#foundShares = shares.slice()
      else for (let k = 0; k < shares.length; k++) this.#foundShares.push(shares[k] as Share<S>)
    }
  }

  /** Every change of the subscriptions may change any match result. */
  #invalidate (): void {
    this.#cache?.clear()
  }

  /** Takes a stored subscription out of its node and prunes the nodes left empty. */
  #detach (entry: Entry<S>): void {
    this.#size--
    const node = entry.node
    const share = entry.share
    if (share !== undefined) {
      share.remove(entry.sub.clientId)
      if (share.size === 0 && node.shares !== undefined) {
        node.shares.splice(node.shares.indexOf(share), 1)
        if (node.shares.length === 0) node.shares = undefined
      }
    } else {
      const subs = node.subs
      const last = subs.pop() as Entry<S>
      if (last !== entry) { subs[entry.index] = last; last.index = entry.index }
    }
    this.#prune(node)
  }

  #prune (from: Node<S>): void {
    let node = from
    while (node.parent !== undefined && node.isEmpty()) {
      node.unlink()
      this.#nodeCount--
      node = node.parent
    }
  }
}
