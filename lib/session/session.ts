/**
 * One MQTT session, driven alike by the broker (one per client id) and by the client.
 *
 * It owns what the protocol calls session state: the outbound and inbound in-flight tables
 * (separate Maps keyed by packet id, never by arrival order), the one packet-id allocator for
 * the ids this side assigns (PUBLISH, SUBSCRIBE, UNSUBSCRIBE: v5 [MQTT-2.2.1-3] [MQTT-2.2.1-4],
 * v3.1.1 [MQTT-2.3.1-2] [MQTT-2.3.1-4]), the send quota and the pending queue. The QoS machines
 * decide; the tables are updated synchronously when a packet arrives (so a duplicate arriving
 * before the first one's storage completes is recognised), and the actions run through the
 * serial runner (runner.ts), which awaits each store call before the acknowledgement after it.
 *
 * Failures. Protocol errors in a received packet are thrown by `receive` (UnexpectedPacketError,
 * ReceiveMaximumExceededError, ProtocolViolationError); the owner disconnects. A failing step
 * (store, delivery, write) goes to `onError`; its list stops, so no acknowledgement is sent, and
 * the connection sends nothing more until the next `attach`. What stays consistent:
 *  - a new inbound QoS 2 flow whose list failed is forgotten again (table and store), so the
 *    peer's resent PUBLISH is taken as new rather than acknowledged without delivery;
 *  - an outbound flow whose storage failed stays in the table and is resent on resume;
 *  - an outbound flow the peer ended but the store could not forget keeps its id reserved
 *    (the store still holds it) and its `done` gets the peer's outcome.
 */
import { InvalidArgumentError, ProtocolViolationError, QosmosError, SessionClosedError, StorageError } from '../core/errors.js'
import { systemClock } from '../core/clock.js'
import { isPacketId, MAX_PACKET_ID, type PacketId } from '../core/ids.js'
import type { SessionFlowStore } from '../persistence/contract.js'
import type { SessionQueueStore } from '../persistence/contract-broker.js'
import type { PubackPacket, PubcompPacket, PublishAckPacket, PublishPacket, PubrecPacket } from '../protocol/packets.js'
import { onPuback, onPubcomp, onPublish, onPubrec, onPubrel, onSessionResumed, startPublish } from '../qos/flows.js'
import type { Action, ApplicationMessage, InboundFlow, OutboundFlow, Refusal, Transition } from '../qos/types.js'
import { traceTransition } from './diagnostics.js'
import { InboundWindow } from './inbound-window.js'
import { PacketIdAllocator } from './packet-id-allocator.js'
import { PendingQueue, type Done } from './pending-queue.js'
import { SerialRunner } from './runner.js'
import { DEFAULT_RECEIVE_MAXIMUM, SendQuota } from './send-quota.js'
import { SessionSteps, type SessionJob, type Step } from './steps.js'
import type { AttachOptions, SessionIo, SessionOptions, SessionStats } from './types.js'

type OutboundAck = PubackPacket | PubrecPacket | PubcompPacket

/**
 * The session as its owner holds it. Most sessions of a broker are idle: connected, subscribed,
 * sending nothing. Such a session holds only its options (shared by the broker's sessions), its
 * connection and the Receive Maximum values of its attach; the tables, allocator, quota, queue,
 * runners and steps (ActiveSession, below) are built on the first publish, receive, packet id or
 * restore, and then kept (bench/micro/idle-heap.ts: about 2 KiB less per idle connection).
 * Until then the session has no flows, no queue and no callbacks, so building it later, attached
 * to the same connection with nothing to resume, is the state an eager build would have reached.
 */
export class Session {
  readonly #options: SessionOptions
  #active: ActiveSession | undefined
  #io: SessionIo | undefined
  #receiveMaximum: number | undefined
  #peerReceiveMaximum: number | undefined
  #closed = false

  constructor (options: SessionOptions = {}) {
    this.#options = options
  }

  get attached (): boolean { return this.#io !== undefined }
  get closed (): boolean { return this.#closed }

  get stats (): SessionStats {
    if (this.#active !== undefined) return this.#active.stats
    return {
      inflightOutbound: 0,
      inflightInbound: 0,
      queued: 0,
      queuedBytes: 0,
      sendQuota: this.#peerReceiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM,
      dropped: { queueFullQos0: 0, queueFullRefused: 0, offlineQos0: 0, discarded: 0 },
      expired: 0
    }
  }

  /** Loads the flows a previous process left in the store and reserves their ids. Call before the first attach. */
  async restore (): Promise<void> {
    if (this.#io !== undefined) throw new InvalidArgumentError('restore() runs once, on a fresh session, before attach()')
    return await this.#activate().restore()
  }

  /** See ActiveSession.attach. */
  attach (io: SessionIo, options: AttachOptions): void {
    if (this.#closed) throw new SessionClosedError()
    if (this.#io !== undefined) throw new InvalidArgumentError('the session is already attached; detach() first')
    // Nothing to resend or discard, except a clean start's erasing of the store, which a
    // single runner does with a store call (two runners erase only the flows they hold).
    const storeCall = !options.resumed && this.#options.store !== undefined && this.#options.independentInbound !== true
    if (this.#active !== undefined || storeCall) {
      this.#activate().attach(io, options)
    } else {
      checkReceiveMaximum(options.receiveMaximum)
      checkReceiveMaximum(options.peerReceiveMaximum)
      this.#receiveMaximum = options.receiveMaximum
      this.#peerReceiveMaximum = options.peerReceiveMaximum
    }
    this.#io = io
  }

  /** See ActiveSession.detach. */
  detach (): void {
    if (this.#io === undefined) return
    this.#io = undefined
    this.#active?.detach()
  }

  /** See ActiveSession.close. */
  close (): void {
    if (this.#closed) return
    this.#io = undefined
    this.#closed = true
    this.#active?.close()
  }

  /** See ActiveSession.publish. */
  publish (message: ApplicationMessage, done?: Done, stored?: Done): void {
    this.#activate().publish(message, done, stored)
  }

  /** See ActiveSession.receive. */
  receive (packet: PublishPacket | PublishAckPacket, refuse?: Refusal): void {
    this.#activate().receive(packet, refuse)
  }

  /** An id for a SUBSCRIBE or UNSUBSCRIBE, from the allocator PUBLISH uses (v5 [MQTT-2.2.1-3]). */
  allocatePacketId (): PacketId { return this.#activate().allocatePacketId() }

  /** True while a QoS 2 message with this id was received and its PUBREL has not arrived: a PUBLISH with it is a resend. */
  holdsInbound (packetId: number): boolean { return this.#active?.holdsInbound(packetId) ?? false }

  /** Frees an id from `allocatePacketId` once its SUBACK/UNSUBACK arrived; false if it was not in flight. */
  releasePacketId (packetId: number): boolean { return this.#active?.releasePacketId(packetId) ?? false }

  /** Builds the session's state, in the state this session is in: attached or not, closed or not. */
  #activate (): ActiveSession {
    if (this.#active !== undefined) return this.#active
    const active = new ActiveSession(this.#options, this)
    this.#active = active
    if (this.#closed) {
      active.close()
    } else if (this.#io !== undefined) {
      active.attach(this.#io, {
        resumed: true,
        ...(this.#receiveMaximum === undefined ? {} : { receiveMaximum: this.#receiveMaximum }),
        ...(this.#peerReceiveMaximum === undefined ? {} : { peerReceiveMaximum: this.#peerReceiveMaximum })
      })
    }
    return active
  }
}

/** The outcome of a message the session held but never sent when it closed (shared subscriptions move it on). */
function notSent (): SessionClosedError {
  return new SessionClosedError('the session was closed before the message was sent', { neverSent: true })
}

/** Receive Maximum is 1..65535 (v5 3.1.2.11.3, 3.2.2.3.3), as InboundWindow and SendQuota check it. */
function checkReceiveMaximum (value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 65535)) {
    throw new InvalidArgumentError(`Receive Maximum must be an integer in 1..65535, got ${value}`)
  }
}

/** The session's state and logic, built on first need (see Session). */
class ActiveSession {
  readonly #outbound = new Map<number, OutboundFlow>()
  readonly #inbound = new Map<number, InboundFlow>()
  readonly #ids = new PacketIdAllocator()
  readonly #quota = new SendQuota()
  readonly #queue: PendingQueue
  readonly #store: SessionFlowStore | undefined
  readonly #queueStore: SessionQueueStore | undefined
  readonly #steps: SessionSteps
  readonly #runner: SerialRunner<Step, SessionJob>
  /** Runs the lists of received PUBLISH/PUBREL; the same runner unless `independentInbound`. */
  readonly #inboundRunner: SerialRunner<Step, SessionJob>
  readonly #queueQos0WhenOffline: boolean
  readonly #window = new InboundWindow()
  #io: SessionIo | undefined
  /** Outbound flows of this connection still waiting for quota to be resent, in send order. */
  readonly #deferred = new Set<number>()
  #draining = false
  #closed = false

  /** The Session this state belongs to: what the diagnostics channel and `onError` name. */
  readonly #owner: Session

  constructor (options: SessionOptions, owner: Session) {
    this.#owner = owner
    this.#store = options.store
    this.#queueStore = options.queueStore
    const report = options.onError
    const onError = report === undefined ? rethrowLater : (error: Error): void => { report(error, owner) }
    this.#queueQos0WhenOffline = options.queueQos0WhenOffline ?? false
    this.#steps = new SessionSteps({
      store: options.store,
      queueStore: options.queueStore,
      pipelineDeliveries: options.pipelineDeliveries,
      onError,
      released: (packetId) => { this.#ids.release(packetId); this.#drainPending() },
      inboundQos1Settled: () => { this.#window.qos1Settled() },
      undoInbound: (flow) => this.#undoInbound(flow)
    })
    this.#runner = new SerialRunner(this.#steps)
    this.#inboundRunner = options.independentInbound === true ? new SerialRunner(this.#steps) : this.#runner
    this.#queue = new PendingQueue({
      clock: options.clock ?? systemClock,
      ...(options.maxQueuedMessages === undefined ? {} : { maxMessages: options.maxQueuedMessages }),
      ...(options.maxQueuedBytes === undefined ? {} : { maxBytes: options.maxQueuedBytes }),
      settle: (done, error) => this.#steps.settle(done, error),
      ...(options.queueStore === undefined ? {} : { store: options.queueStore }),
      storeFailed: (error) => { onError(asStorageError(error)) }
    })
  }

  get attached (): boolean { return this.#io !== undefined }
  get closed (): boolean { return this.#closed }

  get stats (): SessionStats {
    const queue = this.#queue.stats
    return {
      inflightOutbound: this.#outbound.size,
      inflightInbound: this.#inbound.size,
      queued: queue.queued,
      queuedBytes: queue.bytes,
      sendQuota: this.#quota.available,
      dropped: { queueFullQos0: queue.droppedQos0, queueFullRefused: queue.refused, offlineQos0: this.#steps.offlineQos0, discarded: this.#steps.discarded },
      expired: queue.expired
    }
  }

  /** Loads the flows a previous process left in the store and reserves their ids. Call before the first attach. */
  async restore (): Promise<void> {
    if (this.#io !== undefined || this.#outbound.size > 0 || this.#inbound.size > 0 || this.#queue.length > 0) {
      throw new InvalidArgumentError('restore() runs once, on a fresh session, before attach()')
    }
    if (this.#queueStore !== undefined) this.#queue.restore(await this.#queueStore.restoreQueue())
    if (this.#store === undefined) return
    const { outbound, inbound } = await this.#store.restoreFlows()
    for (const flow of outbound) {
      this.#ids.reserve(flow.packetId)
      this.#outbound.set(flow.packetId, flow)
    }
    for (const flow of inbound) this.#inbound.set(flow.packetId, flow)
  }

  /**
   * A connection carries this session from now on. Resumed: every unfinished outbound flow is
   * resent, in original send order (v3.1.1 [MQTT-4.4.0-1] [MQTT-4.6.0-1], v5 [MQTT-4.4.0-1]
   * [MQTT-4.6.0-1]): PUBLISH with DUP=1, or PUBREL. They count against the new send quota
   * (v5 [MQTT-4.9.0-1]); then the pending queue drains. Not resumed: all flows are discarded
   * and their ids freed (v5 [MQTT-3.1.2-4], v3.1.1 [MQTT-3.1.2-6]); the pending queue is kept,
   * as messages never sent are not in flight.
   */
  attach (io: SessionIo, options: AttachOptions): void {
    if (this.#closed) throw new SessionClosedError()
    if (this.#io !== undefined) throw new InvalidArgumentError('the session is already attached; detach() first')
    this.#window.reset(options.receiveMaximum)
    this.#quota.reset(options.peerReceiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM, 0)
    this.#io = io
    this.#steps.connectionStarted(io)
    if (!options.resumed) this.#discardFlows()
    this.#resendFlows()
    this.#drainPending()
  }

  /** The connection is gone. Nothing is sent; flows and queue are kept for a resume (v5 [MQTT-4.4.0-1]: no resend on the old connection). */
  detach (): void {
    if (this.#io === undefined) return
    this.#io = undefined
    this.#steps.connectionEnded()
  }

  /** The session ends (expired, taken over, discarded): every pending `done` gets SessionClosedError. The store is left as it is. */
  close (): void {
    if (this.#closed) return
    this.detach()
    this.#closed = true
    this.#steps.clearCallbacks(new SessionClosedError())
    this.#steps.addDiscarded(this.#queue.clear(notSent()))
  }

  /**
   * Sends a message, now or when possible. `done` is called once: QoS 0 when written, QoS 1 on
   * PUBACK, QoS 2 on PUBCOMP; with PublishRejectedError for a v5 refusal (reason >= 0x80),
   * QueueFullError, MessageExpiredError, NotConnectedError (QoS 0 dropped while detached) or
   * SessionClosedError. A callback, not a promise: the broker calls this once per delivery.
   *
   * `stored` (optional) is called once, when this session has recorded the message in its store
   * (as a queued message or as the first state of its flow), so that whoever passed it on may
   * acknowledge it upstream (acknowledge after durable, v5 4.3.2/4.3.3); at once when there is
   * nothing to record (QoS 0, no store, dropped, refused, closed); with an error when the
   * store failed. With a synchronous store it is called before `publish` returns.
   */
  publish (message: ApplicationMessage, done?: Done, stored?: Done): void {
    if (this.#closed) {
      if (done !== undefined) this.#steps.settle(done, notSent())
      if (stored !== undefined) stored(undefined)
      return
    }
    if (this.#io !== undefined) {
      // While attached no QoS 0 message is queued (the queue hands them out without quota), so
      // sending at once keeps their order and never waits for quota (v5 [MQTT-4.9.0-3]).
      if (message.qos === 0) {
        if (stored !== undefined) stored(undefined)
        return this.#run(startPublish(message, undefined).actions, done)
      }
      if (this.#queue.length === 0 && this.#canStart()) return this.#start(message, done, stored)
    }
    if (message.qos === 0 && this.#io === undefined && !this.#queueQos0WhenOffline) {
      if (stored !== undefined) stored(undefined)
      return this.#steps.droppedOffline(done)
    }
    this.#queue.enqueue(message, done, stored)
  }

  /**
   * A PUBLISH, PUBACK, PUBREC, PUBREL or PUBCOMP from the peer. `refuse` (v5, a reason code
   * >= 0x80) is the owner's decision not to take a PUBLISH, e.g. not authorized. Throws protocol
   * errors synchronously; the owner disconnects with their reason code.
   */
  receive (packet: PublishPacket | PublishAckPacket, refuse?: Refusal): void {
    if (this.#closed) throw new SessionClosedError()
    if (this.#io === undefined) throw new InvalidArgumentError('receive() needs an attached connection')
    switch (packet.type) {
      case 'publish': return this.#receivePublish(packet, refuse)
      case 'puback': return this.#receiveAck(packet, onPuback(this.#outbound.get(packet.packetId), packet))
      case 'pubrec': return this.#receiveAck(packet, onPubrec(this.#outbound.get(packet.packetId), packet))
      case 'pubcomp': return this.#receiveAck(packet, onPubcomp(this.#outbound.get(packet.packetId), packet))
      case 'pubrel': {
        const flow = this.#inbound.get(packet.packetId)
        const transition = onPubrel(flow, packet)
        if (flow !== undefined) {
          this.#inbound.delete(flow.packetId)
          this.#window.qos2Ended(flow.packetId)
          traceTransition(this.#owner, 'inbound', flow.packetId, flow.state, undefined)
        }
        return this.#runInbound(transition.actions)
      }
    }
  }

  /** An id for a SUBSCRIBE or UNSUBSCRIBE, from the allocator PUBLISH uses (v5 [MQTT-2.2.1-3]). */
  allocatePacketId (): PacketId { return this.#ids.allocate() }

  holdsInbound (packetId: number): boolean { return this.#inbound.has(packetId) }

  /** Frees an id from `allocatePacketId` once its SUBACK/UNSUBACK arrived; false if it was not in flight. */
  releasePacketId (packetId: number): boolean {
    const released = this.#ids.release(packetId)
    if (released) this.#drainPending()
    return released
  }

  #receivePublish (packet: PublishPacket, refuse: Refusal | undefined): void {
    if (packet.qos === 0) return this.#runInbound(onPublish(undefined, packet).actions)
    const packetId = packet.packetId
    if (!isPacketId(packetId)) throw new ProtocolViolationError('v5 [MQTT-2.2.1-3] v3.1.1 [MQTT-2.3.1-1]: a QoS 1/2 PUBLISH needs a packet identifier in 1..65535')
    const flow = packet.qos === 2 ? this.#inbound.get(packetId) : undefined
    // v5 3.3.4: at most our Receive Maximum unacknowledged (inbound-window.ts); a resent QoS 2
    // PUBLISH of a flow we hold is not a new one.
    if (flow === undefined) this.#window.admit()
    const transition = onPublish(flow, packet, refuse)
    if (packet.qos === 1) {
      this.#window.qos1Received()
      return this.#runInbound(transition.actions, true)
    }
    const next = transition.state
    if (flow !== undefined || next === undefined) return this.#runInbound(transition.actions)
    this.#inbound.set(packetId, next)
    this.#window.qos2Started(packetId)
    traceTransition(this.#owner, 'inbound', packetId, undefined, next.state)
    this.#runInbound(transition.actions, false, next)
  }

  #receiveAck (packet: OutboundAck, transition: Transition<OutboundFlow>): void {
    const flow = this.#outbound.get(packet.packetId)
    const next = transition.state
    if (flow !== undefined) {
      // A flow still waiting for its resend holds no quota yet; an answer puts it in flight.
      const deferred = this.#deferred.delete(flow.packetId)
      if (next === undefined) {
        this.#outbound.delete(flow.packetId)
        if (!deferred) this.#quota.release()
      } else {
        this.#outbound.set(flow.packetId, next)
        if (deferred) this.#quota.consume()
      }
      traceTransition(this.#owner, 'outbound', flow.packetId, flow.state, next?.state)
    }
    this.#run(transition.actions)
    if (flow !== undefined && next === undefined) this.#drainPending()
  }

  #canStart (): boolean {
    return this.#deferred.size === 0 && this.#quota.canSend() && this.#ids.size < MAX_PACKET_ID
  }

  /**
   * Resends every unfinished outbound flow in original send order. A PUBREL never waits for
   * quota (v5 [MQTT-4.9.0-3]); a PUBLISH is resent while the quota allows, and the rest wait,
   * in order, for quota to come back ([MQTT-3.3.4-7] [MQTT-3.3.4-9] hold for resends too),
   * ahead of any new message.
   */
  #resendFlows (): void {
    this.#deferred.clear()
    for (const flow of this.#outbound.values()) {
      if (flow.state === 'AwaitingPubcomp' || (this.#deferred.size === 0 && this.#quota.canSend())) this.#resend(flow)
      else this.#deferred.add(flow.packetId)
    }
  }

  #resend (flow: OutboundFlow): void {
    this.#quota.consume()
    this.#run(onSessionResumed(flow).actions)
  }

  /** Starts a QoS 1/2 flow: v5 [MQTT-4.9.0-2] uses one unit of send quota. */
  #start (message: ApplicationMessage, done: Done | undefined, stored?: Done, dequeuedSeq?: number): void {
    const packetId = this.#ids.allocate()
    const transition = startPublish(message, packetId)
    const flow = transition.state as OutboundFlow
    this.#outbound.set(packetId, flow)
    this.#quota.consume()
    if (done !== undefined) this.#steps.awaitOutcome(packetId, done)
    traceTransition(this.#owner, 'outbound', packetId, undefined, flow.state)
    if (stored === undefined && dequeuedSeq === undefined) return this.#run(transition.actions)
    const job = this.#steps.job(transition.actions)
    job.stored = stored
    job.dequeuedSeq = dequeuedSeq
    this.#enqueue(this.#runner, job)
  }

  /** Moves queued messages out while attached and (for QoS 1/2) quota and ids allow, FIFO. */
  #drainPending (): void {
    if (this.#draining) return
    this.#draining = true
    try {
      while (this.#io !== undefined && this.#deferred.size > 0 && this.#quota.canSend()) {
        const packetId = this.#deferred.values().next().value as number
        this.#deferred.delete(packetId)
        const flow = this.#outbound.get(packetId)
        if (flow !== undefined) this.#resend(flow)
      }
      while (this.#io !== undefined && !this.#closed) {
        const entry = this.#queue.dequeue(this.#canStart())
        if (entry === undefined) break
        if (entry.message.qos === 0) this.#run(startPublish(entry.message, undefined).actions, entry.done)
        else this.#start(entry.message, entry.done, undefined, this.#queueStore === undefined ? undefined : entry.seq)
      }
    } finally {
      this.#draining = false
    }
  }

  #discardFlows (): void {
    this.#steps.clearCallbacks(new SessionClosedError('the session state was discarded (clean start)'))
    const outbound = [...this.#outbound.keys()]
    const inbound = [...this.#inbound.keys()]
    this.#outbound.clear()
    this.#inbound.clear()
    this.#ids.clear()
    if (this.#store === undefined) return
    if (this.#inboundRunner === this.#runner) return this.#runner.enqueue(this.#steps.barrierJob([{ type: 'discardFlows' }]))
    // Two runners: each erases the records of its own direction, behind the lists that wrote
    // them and ahead of the new connection's, so neither runner waits for the other (a delivery
    // held by the application must never hold back this side's publications).
    this.#runner.enqueue(this.#steps.barrierJob(outbound.map(packetId => ({ type: 'erase' as const, direction: 'outbound' as const, packetId: packetId as PacketId }))))
    this.#inboundRunner.enqueue(this.#steps.barrierJob(inbound.map(packetId => ({ type: 'erase' as const, direction: 'inbound' as const, packetId: packetId as PacketId }))))
  }

  /** A new inbound QoS 2 flow whose list failed before its PUBREC: forget it again, so a resend is new. */
  #undoInbound (flow: InboundFlow): void {
    if (this.#inbound.get(flow.packetId) !== flow) return
    this.#inbound.delete(flow.packetId)
    this.#window.qos2Ended(flow.packetId)
    traceTransition(this.#owner, 'inbound', flow.packetId, flow.state, undefined)
    this.#inboundRunner.enqueueNext(this.#steps.barrierJob([{ type: 'forget', direction: 'inbound', packetId: flow.packetId }]))
  }

  #run (actions: readonly Action[], written?: Done, countsQos1 = false, newInbound?: InboundFlow): void {
    if (actions.length === 0 && written === undefined) return
    this.#enqueue(this.#runner, this.#steps.job(actions, written, countsQos1, newInbound))
  }

  /** Queues a list; one that will wait has its first store call issued now (SessionSteps.prefetch). */
  #enqueue (runner: SerialRunner<Step, SessionJob>, job: SessionJob): void {
    if (!this.#runner.busy && !this.#inboundRunner.busy) this.#steps.prefetchIdle()
    if (runner.busy) this.#steps.prefetch(job)
    runner.enqueue(job)
  }

  /** A received PUBLISH or PUBREL's list: behind the earlier ones, in arrival order. */
  #runInbound (actions: readonly Action[], countsQos1 = false, newInbound?: InboundFlow): void {
    if (actions.length === 0) return
    this.#enqueue(this.#inboundRunner, this.#steps.job(actions, undefined, countsQos1, newInbound))
  }
}

function asStorageError (error: unknown): Error {
  if (error instanceof QosmosError) return error
  return new StorageError('a queue store write failed', { cause: error })
}

function rethrowLater (error: Error): void {
  process.nextTick(() => { throw error })
}
