/**
 * The client store contract: what an MQTT client must find again after its process restarts,
 * for ONE client id: the outgoing in-flight flows and the inbound QoS 2 ids (the flow part,
 * contract.ts, unchanged), and the offline queue of messages not yet sent.
 *
 * With a durable store a client killed and restarted with the same client id completes its
 * in-flight QoS 1/2 publications (resent on resume, v5 [MQTT-4.4.0-1]) and never hands an inbound
 * QoS 2 message to the application twice (the id is stored before the message is delivered and
 * kept until PUBREL, v5 [MQTT-4.3.3-10]).
 *
 * The queue methods have the shape of the broker's SessionQueueStore (contract-broker.ts), so one
 * object serves a Session either way. Calls for one packet id never overlap, calls for different
 * ids may (see contract.ts), and a client session runs inbound and outbound lists on separate
 * runners: each call must be atomic on its own.
 */
import type { StorageFullError } from '../core/errors.js'
import type { ApplicationMessage } from '../qos/types.js'
import type { SessionFlowStore } from './contract.js'

/** A message waiting in the offline queue (not yet sent, so not in flight). */
export interface ClientQueuedMessage {
  /** Strictly increasing: the order the messages are sent in. */
  readonly seq: number
  readonly message: ApplicationMessage
  /** Wall-clock ms when it was queued (Message Expiry counts from here). */
  readonly queuedAt: number
}

export interface ClientStore extends SessionFlowStore {
  /** A message joined the end of the offline queue. Durable when it completes. */
  messageQueued (entry: ClientQueuedMessage): Promise<void> | void
  /** The message left the queue (sent, expired, evicted or discarded). Unknown seqs are ignored. */
  queuedMessageRemoved (seq: number): Promise<void> | void
  /** The queue as it was left, in `seq` order. */
  restoreQueue (): Promise<readonly ClientQueuedMessage[]>
  /** Completes every write already started and releases the store; later calls fail with a StorageError. */
  close (): Promise<void>
  /**
   * Optional, for stores on a disk: why a message of `messageBytes` (payload and topic) would be
   * refused if it were accepted now (its disk is below the reserve), or undefined. Reserves
   * nothing; asked before a message is accepted, so that it can be refused cleanly.
   */
  checkRoom? (messageBytes: number): StorageFullError | undefined
}
