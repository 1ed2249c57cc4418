/**
 * The persistence contract, second part: what a broker must find again after a restart beyond
 * the in-flight flows (contract.ts): sessions with their expiry and will, subscriptions, each
 * session's queue of messages not yet sent, and retained messages.
 *
 * Shaped for three kinds of backend without the broker knowing which it has:
 *  - memory (sync, everything lost with the process);
 *  - a durable local store (lmdb): each change a small keyed write, batched into transactions;
 *    a returned promise resolves once the change is durable;
 *  - a shared store for several broker nodes (Redis): every record is keyed by client id or by
 *    topic, nothing depends on in-process identity, and `restore*` reads back by key.
 *
 * As in contract.ts, a change returns `Promise<void> | void` (sync backends allocate no promise)
 * and a failure throws or rejects, preferably with a StorageError; callers never swallow it.
 * Changes for one client id are issued in order and may overlap (a session does not wait for one
 * write before issuing the next): a backend applies them in the order issued.
 */
import type { StorageFullError } from '../core/errors.js'
import type { ProtocolVersion, QoS, Will } from '../protocol/packets.js'
import type { ApplicationMessage } from '../qos/types.js'
import type { FlowStoreFactory } from './contract.js'

/** A message waiting in a session's queue (not yet sent, so not in flight). */
export interface QueuedMessage {
  /** Position in the queue: strictly increasing per session, the order messages are sent in (v5 [MQTT-4.6.0-5]). */
  readonly seq: number
  readonly message: ApplicationMessage
  /** Wall-clock ms when it was queued; Message Expiry counts from here (v5 [MQTT-3.3.2-5]). */
  readonly queuedAt: number
}

/** The queue of one session. */
export interface SessionQueueStore {
  /** A message was added at the end of the queue. Durable when it completes. */
  messageQueued (entry: QueuedMessage): Promise<void> | void
  /** The message left the queue: sent (its flow, if any, is in the flow store by now), expired, evicted or discarded. */
  queuedMessageRemoved (seq: number): Promise<void> | void
  /** The queue as it was left, in `seq` order. */
  restoreQueue (): Promise<readonly QueuedMessage[]>
}

export interface QueueStoreFactory {
  /** The queue store of the session with this client id; same rules as `flowStore`. */
  queueStore (clientId: string): SessionQueueStore
}

/** A subscription as stored (v5 3.8.3.1 subscription options; 3.1.1 uses only filter and QoS). */
export interface StoredSubscription {
  readonly topicFilter: string
  readonly qos: QoS
  readonly noLocal?: boolean
  readonly retainAsPublished?: boolean
  readonly retainHandling?: 0 | 1 | 2
  readonly subscriptionIdentifier?: number
}

/** What outlives a connection of a session (v5 4.1, v3.1.1 4.1). */
export interface StoredSession {
  readonly clientId: string
  readonly protocolVersion: ProtocolVersion
  readonly username?: string
  /** Session Expiry Interval in seconds; 0xFFFFFFFF never expires (v5 3.1.2.11.2, v3.1.1 Clean Session 0). */
  readonly expiryInterval: number
  /** Wall-clock ms when its last connection ended; absent while a connection carries it. */
  readonly disconnectedAt?: number
  /**
   * The will of the connection: while connected, the one to publish if the connection is lost;
   * after a loss with a Will Delay Interval, the one still waiting (v5 3.1.3.2.2).
   */
  readonly will?: Will
}

export interface RestoredSession {
  readonly session: StoredSession
  readonly subscriptions: readonly StoredSubscription[]
}

export interface StoredRetained {
  readonly message: ApplicationMessage
  /** Wall-clock ms when it was received; Message Expiry counts from here. */
  readonly receivedAt: number
}

/** Sessions, subscriptions and retained messages. */
export interface BrokerStateStore {
  /** A session started, resumed, lost its connection or changed its expiry or will. Replaces the record. */
  sessionSaved (session: StoredSession): Promise<void> | void
  /** The session ended (expired, cleaned, taken over by a clean start): its record, subscriptions, queue and flows go. */
  sessionEnded (clientId: string): Promise<void> | void
  /** Adds or replaces (same filter) a subscription of the session (v5 [MQTT-3.8.4-3], v3.1.1 [MQTT-3.8.4-3]). */
  subscriptionAdded (clientId: string, subscription: StoredSubscription): Promise<void> | void
  /** Unknown filters are ignored. */
  subscriptionRemoved (clientId: string, topicFilter: string): Promise<void> | void
  /** The retained message of a topic was replaced, or cleared (`undefined`). */
  retainedChanged (topic: string, retained: StoredRetained | undefined): Promise<void> | void
  /** Every stored session with its subscriptions. */
  restoreSessions (): Promise<readonly RestoredSession[]>
  /** Every retained message. */
  restoreRetained (): Promise<readonly StoredRetained[]>
}

/** Everything a broker persists: one object, handed to `createBroker({ persistence })`. */
export interface BrokerPersistence extends FlowStoreFactory, QueueStoreFactory, BrokerStateStore {
  /**
   * Optional, for stores on a disk: why a message of `messageBytes` (payload and topic) would be
   * refused if it were accepted now (its disk is below the reserve), or undefined. Reserves
   * nothing; asked before a message is accepted, so that it can be refused cleanly.
   */
  checkRoom? (messageBytes: number): StorageFullError | undefined
  /** Completes every write already started (a durable backend syncs); the broker calls it on close. */
  flush (): Promise<void>
  /** Releases the backend's resources; later calls fail with a StorageError. */
  close (): Promise<void>
}
