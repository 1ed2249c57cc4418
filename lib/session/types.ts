/** The shapes a session's owner (broker connection or client) deals with. */
import type { Clock } from '../core/clock.js'
import type { PacketId } from '../core/ids.js'
import type { SessionFlowStore } from '../persistence/contract.js'
import type { SessionQueueStore } from '../persistence/contract-broker.js'
import type { Packet } from '../protocol/packets.js'
import type { ApplicationMessage } from '../qos/types.js'
import type { Session } from './session.js'

export type { Done } from './pending-queue.js'

/** The connection a session is attached to, as the session sees it. */
export interface SessionIo {
  /** Writes a packet to the connection. Must not throw for a closed socket; a throw counts as a failed step. */
  send (packet: Packet): void
  /**
   * Hands a received message onward (the broker routes it; the client gives it to the
   * application). For QoS 1/2 the acknowledgement is sent only after this completes; a
   * returned promise is awaited, a throw or rejection means no acknowledgement.
   */
  deliver (message: ApplicationMessage, packetId?: PacketId): void | Promise<void>
}

export interface AttachOptions {
  /**
   * True when the session continues (CONNACK Session Present 1): unfinished outbound flows are
   * resent. False (Clean Start / Clean Session, or no state): every flow is discarded.
   */
  readonly resumed: boolean
  /** The peer's Receive Maximum (v5), or the owner's in-flight limit for 3.1.1. Default 65535. */
  readonly peerReceiveMaximum?: number
  /** Our Receive Maximum as announced to the peer. Default 65535. */
  readonly receiveMaximum?: number
}

export interface SessionOptions {
  /** Where in-flight flows are kept; without one they live only in this object. */
  readonly store?: SessionFlowStore
  /** Where the pending queue is kept; without one it lives only in this object. */
  readonly queueStore?: SessionQueueStore
  /** For Message Expiry of queued messages; default the system clock. */
  readonly clock?: Clock
  /**
   * A step failed: a store call (StorageError), a delivery or a write. The failed list sent no
   * acknowledgement and this connection sends nothing more; the owner should close it. Default:
   * rethrown asynchronously (an uncaught exception), so a failure is never silent. `session` is
   * the session that failed, so that one handler (and one options object) can serve many.
   */
  readonly onError?: (error: Error, session: Session) => void
  /**
   * Run the lists of received PUBLISH and PUBREL packets on their own serial runner. Needed when
   * `deliver` may wait on the application (a client acknowledging after processing): otherwise a
   * handler that publishes and awaits the outcome would wait behind its own delivery. Inbound
   * lists keep their order among themselves, outbound among themselves; a store then sees calls
   * of the two directions interleave (each call still completes before its direction's next).
   * Default false: one runner for everything.
   */
  readonly independentInbound?: boolean
  /**
   * A delivery that returns a promise (the broker: routed, waiting for the copies to be stored)
   * no longer holds back the next received PUBLISH: the next one is delivered at once, and the
   * acknowledgements still leave in arrival order, each after its own delivery settled. For an
   * owner whose delivery is instantaneous routing (the broker), not an application handler that
   * must see one message at a time (the client). Default false.
   *
   * It also issues a new inbound QoS 2 flow's record and its delivery in the same turn (a store
   * that commits per turn writes the flow and the routed copies in one transaction), instead of
   * delivering only once the record is stored: for an owner whose delivery writes to the same
   * store, this closes the window where a crash left the flow recorded but no copy stored.
   */
  readonly pipelineDeliveries?: boolean
  /** Queue QoS 0 messages while detached instead of dropping them. Default false. */
  readonly queueQos0WhenOffline?: boolean
  /** Pending queue bound in messages; default 1000. */
  readonly maxQueuedMessages?: number
  /** Pending queue bound in bytes (payload + topic); default 16 MiB. */
  readonly maxQueuedBytes?: number
}

export interface SessionDropCounts {
  /** QoS 0 messages dropped, or evicted, because the pending queue was full. */
  readonly queueFullQos0: number
  /** QoS 1/2 messages refused with QueueFullError. */
  readonly queueFullRefused: number
  /** QoS 0 messages dropped because no connection was attached (or it was lost before the write). */
  readonly offlineQos0: number
  /** Queued messages discarded because the session was closed. */
  readonly discarded: number
}

export interface SessionStats {
  /** Outbound QoS 1/2 flows in flight (awaiting PUBACK, PUBREC or PUBCOMP). */
  readonly inflightOutbound: number
  /** Inbound QoS 2 flows awaiting PUBREL. */
  readonly inflightInbound: number
  readonly queued: number
  readonly queuedBytes: number
  /** Current send quota (v5 4.9). */
  readonly sendQuota: number
  readonly dropped: SessionDropCounts
  /** Queued messages dropped because their Message Expiry Interval ran out. */
  readonly expired: number
}
