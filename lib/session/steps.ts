/**
 * What each step of a session's action lists does, and what happens when a list completes or
 * fails. The serial runner (runner.ts) decides when; this decides how. Kept apart from
 * session.ts, which decides what.
 *
 * Connections and generations. Each list remembers the connection (epoch) it was made on and
 * the session state (generation) it belongs to:
 *  - a `send` goes out only on the connection the list was made for, and only while that
 *    connection has had no failed step; otherwise it is skipped (v5 [MQTT-4.4.0-1]: nothing is
 *    resent on a new connection except by the resume procedure, and a failure stops the
 *    acknowledgements);
 *  - storage and delivery steps always run, so the store follows the tables in order;
 *  - the end of an outbound flow frees its id and settles its `done` only in the generation
 *    that started it: after a clean start, ids and callbacks belong to new flows.
 */
import { InvalidArgumentError, NotConnectedError, PublishRejectedError, QosmosError, StorageError } from '../core/errors.js'
import type { PacketId } from '../core/ids.js'
import type { SessionFlowStore } from '../persistence/contract.js'
import type { SessionQueueStore } from '../persistence/contract-broker.js'
import type { Action, FlowOutcome, InboundFlow } from '../qos/types.js'
import type { Done } from './pending-queue.js'
import type { Job, JobHandler } from './runner.js'
import type { SessionIo } from './types.js'

/**
 * A machine action, or a session-level storage step: `discardFlows` forgets every flow;
 * `erase` forgets one flow's record only (no id release, no `done`), for a clean start whose
 * inbound and outbound lists run on separate runners (SessionOptions.independentInbound).
 */
export type Step =
  | Action
  | { readonly type: 'discardFlows' }
  | { readonly type: 'erase', readonly direction: 'outbound' | 'inbound', readonly packetId: PacketId }

export interface SessionJob extends Job<Step> {
  readonly epoch: number
  readonly generation: number
  readonly io: SessionIo | undefined
  /** A QoS 0 publication: settled when its PUBLISH is written, or could not be. */
  readonly written: Done | undefined
  /** An inbound QoS 1 PUBLISH, counted against our Receive Maximum until this list ends. */
  readonly countsQos1: boolean
  /** A new inbound QoS 2 flow: undone if this list fails before the message is delivered. */
  readonly newInbound: InboundFlow | undefined
  /** Set when a send was skipped because the connection ended or failed. */
  skippedSend: boolean
  /** A new outbound flow: told when its first `persist` is stored (or failed), see Session.publish. */
  stored?: Done | undefined
  /** A new outbound flow started from the pending queue: its queue entry, removed in the same turn as the flow is written. */
  dequeuedSeq?: number | undefined
  /** The store call of the first action, issued early (see `SessionSteps.prefetch`). */
  prefetched?: { readonly result: Promise<void> | void } | { readonly error: unknown } | undefined
  /** Its `persist` (a new inbound QoS 2 flow) and the `deliver` after it ran as one step. */
  persistedWithDelivery?: boolean
}

export interface SessionStepsOptions {
  readonly store: SessionFlowStore | undefined
  readonly queueStore?: SessionQueueStore | undefined
  /** See SessionOptions.pipelineDeliveries. */
  readonly pipelineDeliveries?: boolean | undefined
  readonly onError: (error: Error) => void
  /** An outbound flow's end is stored: free its id (the session then drains its queue). */
  readonly released: (packetId: PacketId) => void
  /** An inbound QoS 1 list of the current connection ended. */
  readonly inboundQos1Settled: () => void
  /** Forget a new inbound QoS 2 flow whose list failed. */
  readonly undoInbound: (flow: InboundFlow) => void
}

export class SessionSteps implements JobHandler<Step, SessionJob> {
  readonly #options: SessionStepsOptions
  /** `done` of outbound QoS 1/2 flows, by packet id. */
  readonly #callbacks = new Map<number, Done>()
  #epoch = 0
  #generation = 0
  #io: SessionIo | undefined
  /** A step failed on the current connection: it sends nothing more. */
  #faulted = false
  offlineQos0 = 0
  discarded = 0
  /**
   * No store call is issued early: a barrier list (clean start, erase, undo) was enqueued, and
   * no later list's call may overtake it, nor the call of a list waiting behind it (the store
   * could then hold a later flow and not an earlier one after a crash). Lifted when the
   * session's runners are idle again.
   */
  #held = false

  constructor (options: SessionStepsOptions) {
    this.#options = options
  }

  connectionStarted (io: SessionIo): void {
    this.#epoch++
    this.#io = io
    this.#faulted = false
  }

  connectionEnded (): void {
    this.#epoch++
    this.#io = undefined
  }

  /** Flows were discarded (clean start) or the session closed: settle every pending `done`. */
  clearCallbacks (error: Error): void {
    this.#generation++
    const callbacks = [...this.#callbacks.values()]
    this.#callbacks.clear()
    for (const done of callbacks) this.settle(done, error)
  }

  awaitOutcome (packetId: PacketId, done: Done): void { this.#callbacks.set(packetId, done) }

  addDiscarded (count: number): void { this.discarded += count }

  droppedOffline (done: Done | undefined): void {
    this.offlineQos0++
    if (done !== undefined) this.settle(done, new NotConnectedError())
  }

  job (actions: readonly Step[], written?: Done, countsQos1 = false, newInbound?: InboundFlow): SessionJob {
    return { actions, next: 0, epoch: this.#epoch, generation: this.#generation, io: this.#io, written, countsQos1, newInbound, skippedSend: false }
  }

  /** A list that removes flows wholesale: from now until the runners are idle, no store call is issued early. */
  barrierJob (actions: readonly Step[]): SessionJob {
    this.#held = true
    return this.job(actions)
  }

  /**
   * Group commit within a session. A list waiting behind others whose first action is a store
   * call (a new flow's `persist`, a flow's `forget`) has that call issued at once; the list
   * still runs in its turn and awaits the result there, so nothing is sent earlier than before,
   * but a store that commits per turn (lmdb) writes many flows of one session in one commit
   * instead of one commit per message. Safe because calls for one packet id never overlap (the
   * next change of an id waits for the peer's answer to a packet sent after the previous one
   * was stored), and nothing is issued early while a barrier list (clean start, undo) waits.
   */
  prefetch (job: SessionJob): void {
    if (this.#options.store === undefined || this.#held || job.next !== 0 || job.prefetched !== undefined) return
    const first = job.actions[0]
    if (first === undefined || (first.type !== 'persist' && first.type !== 'forget')) return
    // A new inbound flow's record goes with its delivery, in the same turn (#withDelivery).
    if (first.type === 'persist' && first.direction === 'inbound' && this.#options.pipelineDeliveries === true) return
    try {
      const result = this.#storeCall(job, first)
      if (result !== undefined && typeof result.then === 'function') result.then(undefined, () => {}) // awaited in its turn
      job.prefetched = { result }
    } catch (error) {
      job.prefetched = { error }
    }
  }

  /** The session's runners are idle: every list's store calls have been issued in order. */
  prefetchIdle (): void { this.#held = false }

  /** Detached lists (runner.ts): an inbound delivery whose acknowledgement is all that is left. */
  detach (job: SessionJob, step: Step): boolean {
    if (this.#options.pipelineDeliveries !== true) return false
    if (step.type !== 'deliver' && !(step.type === 'persist' && job.persistedWithDelivery === true)) return false
    for (let i = job.next; i < job.actions.length; i++) if (job.actions[i]?.type !== 'send') return false
    return true
  }

  /** Sends keep the list order on the wire, behind detached lists. */
  ordered (step: Step): boolean { return step.type === 'send' }

  /** The store call of a `persist` or `forget` step. */
  #storeCall (job: SessionJob, step: Extract<Step, { type: 'persist' | 'forget' }>): Promise<void> | void {
    const store = this.#options.store
    if (store === undefined) return
    if (step.type === 'forget') return step.direction === 'inbound' ? store.inboundFlowEnded(step.packetId) : store.outboundFlowEnded(step.packetId)
    const result = step.direction === 'outbound' ? store.outboundFlowChanged(step.flow) : store.inboundFlowStarted(step.flow)
    return job.dequeuedSeq !== undefined ? this.#dequeued(job, result) : result
  }

  /** The store call's result: the one issued early for the first action, else a new call. */
  #take (job: SessionJob, step: Extract<Step, { type: 'persist' | 'forget' }>): Promise<void> | void {
    const early = job.prefetched
    if (early !== undefined && job.next === 1) {
      job.prefetched = undefined
      if ('error' in early) throw early.error
      return early.result
    }
    return this.#storeCall(job, step)
  }

  /** Calls a user callback; a throw from it is reported, never lost, and never breaks the session. */
  settle (done: Done, error: Error | undefined): void {
    try {
      done(error)
    } catch (thrown) {
      this.#options.onError(thrown instanceof Error ? thrown : new InvalidArgumentError(`a done callback threw ${String(thrown)}`))
    }
  }

  step (job: SessionJob, step: Step): void | PromiseLike<void> {
    const store = this.#options.store
    switch (step.type) {
      case 'persist': {
        if (store === undefined) return this.#stored(job, undefined)
        const result = this.#take(job, step)
        const next = job.actions[job.next]
        if (step.direction === 'inbound' && next?.type === 'deliver' && this.#options.pipelineDeliveries === true) return this.#withDelivery(job, next, result)
        if (job.stored === undefined) return result
        if (result === undefined || typeof result.then !== 'function') return this.#stored(job, undefined)
        return result.then(() => { this.#stored(job, undefined) })
      }
      case 'send':
        if (job.io !== undefined && job.epoch === this.#epoch && !this.#faulted) job.io.send(step.packet)
        else job.skippedSend = true
        return
      case 'deliver':
        if (job.io === undefined) throw new InvalidArgumentError('a delivery needs the connection it arrived on')
        return job.io.deliver(step.message, step.packetId)
      case 'forget': {
        if (step.direction === 'inbound') return this.#take(job, step)
        const stored = this.#take(job, step)
        if (stored !== undefined && typeof stored.then === 'function') return stored.then(() => { this.#ended(job, step.packetId, step.outcome, true) })
        this.#ended(job, step.packetId, step.outcome, true)
        return
      }
      case 'discardFlows':
        return store?.discardFlows()
      case 'erase':
        return step.direction === 'outbound' ? store?.outboundFlowEnded(step.packetId) : store?.inboundFlowEnded(step.packetId)
    }
  }

  completed (job: SessionJob): void {
    if (job.countsQos1 && job.epoch === this.#epoch) this.#options.inboundQos1Settled()
    if (job.written === undefined) return
    if (!job.skippedSend) return this.settle(job.written, undefined)
    this.offlineQos0++
    this.settle(job.written, new NotConnectedError('the connection ended before the QoS 0 message was written'))
  }

  failed (job: SessionJob, step: Step, thrown: unknown): void {
    const error = asError(step, thrown)
    if (step.type === 'persist') this.#stored(job, error)
    if (job.epoch === this.#epoch) this.#faulted = true
    this.#options.onError(error)
    if (job.countsQos1 && job.epoch === this.#epoch) this.#options.inboundQos1Settled()
    if (job.written !== undefined) this.settle(job.written, error)
    // Not yet delivered: undo the flow, so that the peer's resend is delivered (taken as new).
    // Once delivered, keep it, so that the resend is only acknowledged (v5 [MQTT-4.3.3-10]).
    if (job.newInbound !== undefined && (step.type === 'persist' || step.type === 'deliver')) this.#options.undoInbound(job.newInbound)
    // The peer ended the flow but the store still holds it: keep the id reserved, report the outcome.
    if (step.type === 'forget' && step.direction === 'outbound') this.#ended(job, step.packetId, step.outcome, false)
  }

  /**
   * The queue entry of a flow that starts now leaves the queue store in the same turn as the
   * flow's first write, so a store that commits writes per turn (lmdb) records both at once.
   */
  #dequeued (job: SessionJob, flowWrite: Promise<void> | void): Promise<void> | void {
    const seq = job.dequeuedSeq as number
    job.dequeuedSeq = undefined
    const removal = this.#options.queueStore?.queuedMessageRemoved(seq)
    if (flowWrite === undefined) return removal
    if (removal === undefined) return flowWrite
    return Promise.all([flowWrite, removal]).then(() => undefined)
  }

  /**
   * A new inbound QoS 2 flow: its record and the delivery (for the broker: the routed copies'
   * writes) are issued in the same turn, so a store that commits per turn records them in one
   * transaction. Stored one after the other, a crash between the two writes left a flow whose
   * resent PUBLISH is taken as a duplicate (v5 [MQTT-4.3.3-10]) while no copy exists: a message
   * acknowledged with PUBREC and lost. The PUBREC still waits for both.
   */
  #withDelivery (job: SessionJob, deliver: Extract<Step, { type: 'deliver' }>, stored: Promise<void> | void): Promise<void> | void {
    if (job.io === undefined) throw new InvalidArgumentError('a delivery needs the connection it arrived on')
    job.next++
    job.persistedWithDelivery = true
    const delivered = job.io.deliver(deliver.message, deliver.packetId)
    if (stored === undefined || typeof stored.then !== 'function') return delivered
    if (delivered === undefined || typeof delivered.then !== 'function') return stored
    stored.then(undefined, () => {}) // reported through the combined promise
    return Promise.all([stored, delivered]).then(() => undefined)
  }

  /** Tells a job's `stored` callback, once. */
  #stored (job: SessionJob, error: Error | undefined): void {
    const stored = job.stored
    if (stored === undefined) return
    job.stored = undefined
    this.settle(stored, error)
  }

  /** An outbound flow ended; `stored`: its end is in the store, so its id is free again. */
  #ended (job: SessionJob, packetId: PacketId, outcome: FlowOutcome, stored: boolean): void {
    if (job.generation !== this.#generation) return
    const done = this.#callbacks.get(packetId)
    if (done !== undefined) {
      this.#callbacks.delete(packetId)
      this.settle(done, outcome.ok ? undefined : new PublishRejectedError(outcome.reasonCode, outcome.reasonString))
    }
    if (stored) this.#options.released(packetId)
  }
}

function asError (step: Step, thrown: unknown): Error {
  const isStorage = step.type === 'persist' || step.type === 'forget' || step.type === 'discardFlows' || step.type === 'erase'
  if (isStorage && !(thrown instanceof QosmosError)) {
    const detail = thrown instanceof Error ? thrown.message : String(thrown)
    return new StorageError(`${step.type} ${'direction' in step ? step.direction : ''} failed: ${detail}`.replace('  ', ' '), { cause: thrown })
  }
  return thrown instanceof Error ? thrown : new Error(`${step.type} failed: ${String(thrown)}`, { cause: thrown })
}
