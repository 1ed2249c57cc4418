/**
 * The persistence contract: what qosmos needs a store to remember, named for what it means in
 * the protocol rather than for storage verbs (ARCHITECTURE, persistence/). Backends (memory
 * today; lmdb, Redis later) import only this file; callers import only this file, so a backend
 * can be swapped without touching them.
 *
 * Methods that record a change return `Promise<void> | void`: a backend that completes
 * synchronously (the memory backend) returns nothing, so no promise is allocated on the
 * broker's per-message path; a backend with real I/O returns a promise. Either way a failure
 * throws or rejects, preferably with a `StorageError`, and callers never swallow it.
 *
 * The contract grows by parts, one per protocol concern, each handed out beside the others by
 * the backend: today the in-flight flows of a session; later subscriptions, offline queues,
 * retained messages and wills (each a new method on `PersistenceBackend`, none changing these).
 */
import type { PacketId } from '../core/ids.js'
import type { InboundFlow, OutboundFlow } from '../qos/types.js'

/** The flows a session had in flight, as `SessionFlowStore.restoreFlows` returns them. */
export interface RestoredFlows {
  /** Unfinished flows this side started, in the order their PUBLISH was first sent (v5 [MQTT-4.6.0-1]). */
  readonly outbound: readonly OutboundFlow[]
  /** Exactly-once flows the peer started and has not released, in the order they started. */
  readonly inbound: readonly InboundFlow[]
}

/**
 * The in-flight flows of one session (one client id). Calls for one packet id are made in
 * protocol order, each only after the previous one for that id completed. Calls for different
 * ids may overlap: a session issues the writes of flows waiting in line together, so that a
 * store that commits per turn (lmdb) records them in one commit (group commit).
 */
export interface SessionFlowStore {
  /**
   * An outbound flow started or moved on (AwaitingPuback, AwaitingPubrec, or AwaitingPubrec ->
   * AwaitingPubcomp). Replaces any record with the same packet id and keeps that record's place
   * in send order; a new id goes last. A flow's first state is only ever written for an id with
   * no record (an id is reused once the end of its previous flow completed), so a backend may
   * put it last without looking. Must be durable when it completes: the PUBLISH or PUBREL is
   * sent only afterwards (ARCHITECTURE rule 4).
   */
  outboundFlowChanged (flow: OutboundFlow): Promise<void> | void
  /** The outbound flow with this id ended (acknowledged or refused). Unknown ids are ignored. */
  outboundFlowEnded (packetId: PacketId): Promise<void> | void
  /**
   * The peer's exactly-once flow with this id started: the message is being taken over and the
   * id must not deliver a duplicate until PUBREL (v5 [MQTT-4.3.3-10]). Durable when it completes.
   */
  inboundFlowStarted (flow: InboundFlow): Promise<void> | void
  /** The peer released the id (PUBREL), or a failed delivery is being undone. Unknown ids are ignored. */
  inboundFlowEnded (packetId: PacketId): Promise<void> | void
  /** Everything still in flight, for a session resumed after a restart. */
  restoreFlows (): Promise<RestoredFlows>
  /** Clean Start / Clean Session: forget every flow of this session (v5 [MQTT-3.1.2-4], v3.1.1 [MQTT-3.1.2-6]). */
  discardFlows (): Promise<void> | void
}

/** Hands out the flow store of a session by its client id (v5 [MQTT-3.1.3-2], v3.1.1 [MQTT-3.1.3-2]). */
export interface FlowStoreFactory {
  /**
   * The flow store of the session with this client id. Cheap to call; two calls with the same
   * id address the same data, and different ids never see each other's flows.
   */
  flowStore (clientId: string): SessionFlowStore
}

/**
 * A storage backend. Every backend passes the shared contract suite
 * (test/persistence/flow-store-contract.ts, ARCHITECTURE rule 8).
 */
export interface PersistenceBackend extends FlowStoreFactory {
  /** Releases the backend's resources; later calls fail with a StorageError. */
  close (): Promise<void>
}
