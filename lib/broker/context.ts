/**
 * Everything the packet handlers share: resolved limits, the session registry, the router,
 * the retained store, hooks, statistics and events. One per broker.
 */
import { EventEmitter } from 'node:events'
import { systemClock, type Clock } from '../core/clock.js'
import { QosmosError, StorageError, type StorageFullError } from '../core/errors.js'
import type { BrokerPersistence } from '../persistence/contract-broker.js'
import { MemoryBackend } from '../persistence/memory.js'
import type { ClientSession } from './client-session.js'
import type { QoS, UserProperties } from '../protocol/packets.js'
import type { BrokerHooks, BrokerOptions, Logger } from './options.js'
import { RetainedStore } from './retained.js'
import { BrokerStats } from './stats.js'
import { TopicTree } from './topic-tree.js'
import type { BrokerEventMap } from './events.js'
import type { SessionRegistry } from './registry.js'
import type { Router } from './router.js'

export interface ResolvedLimits {
  readonly maxKeepAlive: number | undefined
  readonly receiveMaximum: number
  readonly maxPacketSize: number
  readonly topicAliasMaximum: number
  readonly maxQueuedMessages: number
  readonly maxQueuedBytes: number
  readonly queueQos0Offline: boolean
  readonly maxSessionExpiryInterval: number | undefined
  readonly maximumQoS: QoS
  readonly retainAvailable: boolean
  /** Unacknowledged QoS 1/2 messages the broker sends a 3.1.1 client (v5 clients state theirs). */
  readonly maxInflight: number
}

export const silentLogger: Logger = { debug () {}, info () {}, warn () {}, error () {} }

export function resolveLimits (options: BrokerOptions): ResolvedLimits {
  return {
    maxKeepAlive: options.maxKeepAlive,
    receiveMaximum: options.receiveMaximum ?? 1024,
    maxPacketSize: options.maxPacketSize ?? 1024 * 1024,
    topicAliasMaximum: options.topicAliasMaximum ?? 64,
    maxQueuedMessages: options.maxQueuedMessages ?? 10_000,
    maxQueuedBytes: options.maxQueuedBytes ?? 64 * 1024 * 1024,
    queueQos0Offline: options.queueQos0Offline ?? false,
    maxSessionExpiryInterval: options.maxSessionExpiryInterval,
    maximumQoS: options.maximumQoS ?? 2,
    retainAvailable: options.retainAvailable ?? true,
    maxInflight: options.maxInflight ?? 1024
  }
}

/** Topic names whose matches the broker keeps by default (BrokerOptions.matchCacheSize). */
export const DEFAULT_MATCH_CACHE_SIZE = 1024
/** At most one "store is full" warning per minute. */
const FULL_WARNING_MS = 60_000

export class BrokerContext {
  readonly limits: ResolvedLimits
  readonly hooks: BrokerHooks
  readonly logger: Logger
  readonly clock: Clock
  readonly tree: TopicTree
  readonly retained = new RetainedStore()
  readonly stats = new BrokerStats()
  readonly events: EventEmitter<BrokerEventMap>
  readonly connackUserProperties: UserProperties | undefined
  readonly startedAt: number
  readonly store: BrokerPersistence
  /** True when the broker made the store itself and so closes it. */
  readonly ownsStore: boolean
  /** Set by the broker once both exist; they need each other. */
  registry!: SessionRegistry
  router!: Router
  #nextAssignedId = 1
  /** When the last "store is full" warning was logged (one per FULL_WARNING_MS at most). */
  #fullWarnedAt = Number.NEGATIVE_INFINITY

  constructor (options: BrokerOptions, events: EventEmitter<BrokerEventMap> = new EventEmitter()) {
    this.events = events
    this.limits = resolveLimits(options)
    this.tree = new TopicTree({ matchCacheSize: options.matchCacheSize ?? DEFAULT_MATCH_CACHE_SIZE })
    this.hooks = options.hooks ?? {}
    this.logger = options.logger ?? silentLogger
    this.clock = options.clock ?? systemClock
    this.connackUserProperties = options.connackUserProperties
    this.startedAt = this.clock.now()
    this.ownsStore = options.persistence === undefined
    this.store = options.persistence ?? new MemoryBackend()
  }

  /**
   * Runs one store change. A failure is never swallowed: it is logged, reported as a
   * `clientError`, and closes the connection of the session concerned (if any), since what
   * that session was told may no longer be true after a restart.
   */
  persist (change: (store: BrokerPersistence) => Promise<void> | void, cs?: ClientSession): void {
    try {
      const result = change(this.store)
      if (result !== undefined) result.then(undefined, (error: unknown) => { this.#storeFailed(error, cs) })
    } catch (error) {
      this.#storeFailed(error, cs)
    }
  }

  #storeFailed (cause: unknown, cs: ClientSession | undefined): void {
    const error = cause instanceof QosmosError ? cause : new StorageError('a store write failed', { cause })
    this.logger.error({ err: error, clientId: cs?.clientId }, 'store write failed')
    this.events.emit('clientError', cs?.info, error)
    cs?.connection?.fail(error)
  }

  /**
   * Why a message of `messageBytes` (payload and topic) cannot be accepted now: the store's disk
   * is below its reserve (BrokerPersistence.checkRoom); undefined when it can. Logged as a
   * warning at most once per FULL_WARNING_MS, however many messages are refused.
   */
  storeFull (messageBytes: number): StorageFullError | undefined {
    const full = this.store.checkRoom?.(messageBytes)
    if (full === undefined) return undefined
    const now = this.clock.now()
    if (now - this.#fullWarnedAt >= FULL_WARNING_MS) {
      this.#fullWarnedAt = now
      this.logger.warn({ err: full }, 'the store is full: QoS 1/2 and retained messages are refused until space is freed')
    }
    return full
  }

  /** A client identifier for a client that sent none (v5 [MQTT-3.1.3-6]), unique in this broker. */
  assignClientId (): string {
    for (;;) {
      const id = `qosmos-${this.startedAt.toString(36)}-${(this.#nextAssignedId++).toString(36)}`
      if (this.registry.get(id) === undefined) return id
    }
  }
}
