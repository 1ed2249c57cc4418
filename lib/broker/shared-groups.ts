/**
 * Shared subscriptions (MQTT 5.0 section 4.8.2): `$share/{ShareName}/{filter}`. Every client that
 * subscribes with the same ShareName and filter joins one Share; each matching message goes to ONE
 * member of that Share (competing consumers), chosen by the broker with `Share.pick`.
 */
import { InvalidTopicFilterError } from '../core/errors.js'
import type { QoS } from '../protocol/packets.js'

/** The part of a subscription a Share needs to know about. */
export interface ShareMember {
  readonly clientId: string
  readonly qos: QoS
}

const SHARE_PREFIX = '$share/'

/**
 * Splits `$share/{group}/{topicFilter}`; any other filter is not shared and gives `undefined`.
 * v5 [MQTT-4.8.2-1]: the ShareName after `$share/` is at least one character long.
 * v5 [MQTT-4.8.2-2]: the ShareName holds no '/', '+' or '#' and is followed by '/' and a filter.
 */
export function parseSharedFilter (filter: string): { readonly group: string, readonly topicFilter: string } | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined
  const slash = filter.indexOf('/', SHARE_PREFIX.length)
  if (slash === -1) throw new InvalidTopicFilterError(`shared subscription "${filter}" has no topic filter after its ShareName (v5 [MQTT-4.8.2-2])`)
  const group = filter.slice(SHARE_PREFIX.length, slash)
  if (group.length === 0) throw new InvalidTopicFilterError(`shared subscription "${filter}" has an empty ShareName (v5 [MQTT-4.8.2-1])`)
  if (group.includes('+') || group.includes('#')) throw new InvalidTopicFilterError(`ShareName "${group}" contains a wildcard (v5 [MQTT-4.8.2-2])`)
  return { group, topicFilter: filter.slice(slash + 1) }
}

/**
 * One shared subscription: a (ShareName, Topic Filter) pair and the subscriptions of its members,
 * at most one per client. `match()` hands Shares to the broker, which picks one member per message.
 */
export class Share<S extends ShareMember> {
  /** The ShareName. */
  readonly group: string
  /** The Topic Filter after `$share/{group}/`, the one matched against topic names. */
  readonly topicFilter: string
  /** The full filter, `$share/{group}/{topicFilter}`. */
  readonly filter: string
  readonly #members: S[] = []
  /** Index of the member the next `pick` tries first. */
  #cursor = 0

  constructor (group: string, topicFilter: string) {
    this.group = group
    this.topicFilter = topicFilter
    this.filter = `${SHARE_PREFIX}${group}/${topicFilter}`
  }

  /** Member subscriptions in join order (a replaced subscription keeps its place). */
  get members (): readonly S[] { return this.#members }
  get size (): number { return this.#members.length }

  /**
   * Round-robin choice of one member. Members for which `isEligible` says false (offline, no
   * quota left, ...) are skipped; `undefined` when no member is eligible. The next call starts
   * after the member chosen, so eligible members take turns.
   */
  pick (isEligible?: (member: S) => boolean): S | undefined {
    const members = this.#members
    const n = members.length
    for (let k = 0; k < n; k++) {
      let i = this.#cursor + k
      if (i >= n) i -= n
      const member = members[i] as S
      if (isEligible === undefined || isEligible(member)) {
        this.#cursor = i + 1 === n ? 0 : i + 1
        return member
      }
    }
    return undefined
  }

  /** @internal Adds a member or replaces the subscription of an existing one; true when replaced. */
  upsert (sub: S): boolean {
    const members = this.#members
    for (let i = 0; i < members.length; i++) {
      if ((members[i] as S).clientId === sub.clientId) { members[i] = sub; return true }
    }
    members.push(sub)
    return false
  }

  /** @internal Removes a client's membership; true when it was a member. */
  remove (clientId: string): boolean {
    const members = this.#members
    for (let i = 0; i < members.length; i++) {
      if ((members[i] as S).clientId !== clientId) continue
      members.splice(i, 1)
      // Keep the turn order: the member that was next stays next.
      if (i < this.#cursor) this.#cursor--
      if (this.#cursor >= members.length) this.#cursor = 0
      return true
    }
    return false
  }
}
