/**
 * The trie TopicTree is made of: one Node per filter level, the stored subscription entries,
 * and the level check that keeps the trie sound.
 */
import { InvalidTopicFilterError } from '../core/errors.js'
import type { Share } from './shared-groups.js'
import type { Delivery, Subscription } from './topic-tree-result.js'

/** One level of the trie; the path from the root spells the filter. */
export class Node<S extends Subscription> {
  readonly parent: Node<S> | undefined
  /** The filter level this node stands for: a literal, '+' or '#'. */
  readonly level: string
  exact: Map<string, Node<S>> | undefined = undefined
  plus: Node<S> | undefined = undefined
  /** The '#' child: its subscriptions match this level and everything below it. Has no children. */
  hash: Node<S> | undefined = undefined
  /** Non-shared subscriptions whose filter ends here. */
  readonly subs: Entry<S>[] = []
  /** Shared subscriptions whose topic filter ends here, one per group. */
  shares: Share<S>[] | undefined = undefined

  constructor (parent: Node<S> | undefined, level: string) {
    this.parent = parent
    this.level = level
  }

  isEmpty (): boolean {
    return this.subs.length === 0 && this.shares === undefined && this.exact === undefined &&
      this.plus === undefined && this.hash === undefined
  }

  /** The child for a filter level, if there is one. */
  findChild (level: string): Node<S> | undefined {
    if (level === '+') return this.plus
    if (level === '#') return this.hash
    return this.exact?.get(level)
  }

  /** Makes the (missing) child for a filter level. */
  addChild (level: string): Node<S> {
    const child = new Node<S>(this, level)
    if (level === '+') this.plus = child
    else if (level === '#') this.hash = child
    else (this.exact ??= new Map()).set(level, child)
    return child
  }

  /** Unlinks this node from its parent (the caller checked it is empty). */
  unlink (): void {
    const parent = this.parent
    if (parent === undefined) return
    if (parent.plus === this) parent.plus = undefined
    else if (parent.hash === this) parent.hash = undefined
    else if (parent.exact !== undefined) {
      parent.exact.delete(this.level)
      if (parent.exact.size === 0) parent.exact = undefined
    }
  }
}

/** A stored subscription and where it lives, so removal needs no search. */
export interface Entry<S extends Subscription> {
  sub: S
  readonly node: Node<S>
  readonly client: ClientRecord<S>
  /** Position in `node.subs` of a non-shared subscription; -1 for a shared one. */
  index: number
  /** The Share a shared subscription is a member of. */
  readonly share: Share<S> | undefined
}

/** Everything the tree knows about one client. */
export interface ClientRecord<S extends Subscription> {
  readonly clientId: string
  /** By full filter, in subscription order. */
  readonly entries: Map<string, Entry<S>>
  /** `match` stamps: the delivery built for this client during match number `epoch`. */
  epoch: number
  delivery: Delivery<S> | undefined
}

/**
 * The levels of a topic filter, checked enough to keep the trie sound (the protocol layer does
 * the full validation): v3.1.1 [MQTT-4.7.3-1] v5 [MQTT-4.7.3-1] non-empty; v3.1.1
 * [MQTT-4.7.1-2] v5 [MQTT-4.7.1-1] '#' alone and last; v3.1.1 [MQTT-4.7.1-3] v5 [MQTT-4.7.1-2]
 * '+' fills its whole level; v3.1.1 [MQTT-4.7.3-2] v5 [MQTT-4.7.3-2] no U+0000.
 */
export function filterLevels (filter: string): string[] {
  if (filter.length === 0) throw new InvalidTopicFilterError('topic filter is empty')
  if (filter.includes('\u0000')) throw new InvalidTopicFilterError('topic filter contains U+0000')
  const levels = filter.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string
    if (level.length < 2) {
      if (level === '#' && i !== levels.length - 1) throw new InvalidTopicFilterError(`'#' is not the last level of "${filter}"`)
    } else if (level.includes('#')) {
      throw new InvalidTopicFilterError(`'#' does not fill a whole level of "${filter}"`)
    } else if (level.includes('+')) {
      throw new InvalidTopicFilterError(`'+' does not fill a whole level of "${filter}"`)
    }
  }
  return levels
}
