/**
 * The serial action runner of a session. The QoS machines decide lists of actions; this runs
 * them strictly in order, one list after another:
 *
 *  - within a list, an action that returns a promise (an async store, an async delivery) is
 *    awaited before the next runs, so a `persist` is durable before the acknowledgement that
 *    follows it is sent (ARCHITECTURE rule 4);
 *  - across lists, a list starts only when the previous one has finished, so a later packet's
 *    actions never overtake an earlier packet's: acknowledgements leave in the order the
 *    PUBLISH packets arrived (v3.1.1 and v5 [MQTT-4.6.0-2] [MQTT-4.6.0-3]) and a duplicate
 *    QoS 2 PUBLISH's PUBREC never leaves before the first one's;
 *  - when every step completes synchronously the lists run inline, allocating no promise;
 *  - a step that throws or rejects stops its list (nothing after it runs, so no acknowledgement
 *    is sent for it) and is handed to `failed`; the runner then goes on with the next list.
 *
 * A list enqueued while another runs (a delivery that publishes back into the same session)
 * simply waits its turn.
 */
/** A list of steps (the machines' actions, plus any the owner adds) and how far it has run. */
export interface Job<S> {
  readonly actions: readonly S[]
  /** Index of the next action to run. */
  next: number
}

export interface JobHandler<S, J extends Job<S>> {
  /** Runs one action; a returned promise is awaited before the next action. */
  step (job: J, action: S): void | PromiseLike<void>
  /**
   * Optional: `action` returned a promise and every action left in its list is `ordered` and
   * synchronous, so the list may finish on its own once the promise settles while the runner
   * goes on with the next lists (pipelining). Detached lists still finish in list order.
   */
  detach? (job: J, action: S): boolean
  /** Optional: the action must not run before every detached list has finished (a `send`, to keep the wire order). */
  ordered? (action: S): boolean
  /** The whole list ran. */
  completed (job: J): void
  /** `action` threw or rejected with `error`; the rest of the list was skipped. */
  failed (job: J, action: S, error: unknown): void
}

/** A queue array that grew beyond this many slots is not kept for the next drain. */
const MAX_KEPT_QUEUE = 64

export class SerialRunner<S, J extends Job<S>> {
  readonly #handler: JobHandler<S, J>
  /**
   * Lists `[#head, #size)` wait or run; slots before `#head` are cleared as lists finish. The
   * array is kept across drains (a session runs a list or two per message, and a fresh array per
   * drain was a backing store allocated per message); one that grew large is let go.
   */
  #queue: Array<J | undefined> = []
  #head = 0
  #size = 0
  /** True while lists are being run or one waits on a promise: new lists queue behind. */
  #busy = false
  /** True while the list at the head is part-way through. */
  #running = false
  /** Detached lists not yet finished, chained in list order; undefined when there are none. */
  #tail: Promise<void> | undefined

  constructor (handler: JobHandler<S, J>) {
    this.#handler = handler
  }

  /** Lists queued or running. */
  get pending (): number { return this.#size - this.#head }

  /** True while a list is running or waiting: a list enqueued now will not start at once. */
  get busy (): boolean { return this.#busy }

  /** Queues a list behind every other; runs it at once if the runner is idle. */
  enqueue (job: J): void {
    if (this.#size < this.#queue.length) this.#queue[this.#size] = job
    else this.#queue.push(job)
    this.#size++
    if (!this.#busy) this.#drain()
  }

  /**
   * Queues a list ahead of all waiting lists, but behind the one running (used to undo the
   * effects of a failed list before anything else touches the store).
   */
  enqueueNext (job: J): void {
    this.#queue.splice(this.#head + (this.#running ? 1 : 0), 0, job)
    this.#size++
    if (!this.#busy) this.#drain()
  }

  #drain (): void {
    this.#busy = true
    let thrown: { error: unknown } | undefined
    while (this.#head < this.#size) {
      const job = this.#queue[this.#head] as J
      try {
        if (!this.#runJob(job)) return // waiting on a promise, which calls #drain again
      } catch (error) {
        // A handler callback threw (a bug in it): keep the queue moving, rethrow at the end.
        thrown ??= { error }
      }
    }
    if (this.#queue.length > MAX_KEPT_QUEUE) this.#queue = []
    this.#head = 0
    this.#size = 0
    this.#busy = false
    if (thrown !== undefined) throw thrown.error
  }

  /** Runs the job from where it stopped; false when it is now waiting on a promise. */
  #runJob (job: J): boolean {
    this.#running = true
    while (job.next < job.actions.length) {
      const tail = this.#tail
      if (tail !== undefined && this.#handler.ordered?.(job.actions[job.next] as S) === true) {
        // A send waits for the detached lists before it, so the wire order is the list order.
        tail.then(() => { this.#drain() }, () => { this.#drain() })
        return false
      }
      const action = job.actions[job.next++] as S
      let result: void | PromiseLike<void>
      try {
        result = this.#handler.step(job, action)
      } catch (error) {
        this.#fail(job, action, error)
        return true
      }
      if (result !== undefined && typeof result.then === 'function') {
        if (this.#handler.detach?.(job, action) === true) {
          this.#detach(job, action, result)
          return true
        }
        result.then(
          () => { this.#drain() },
          (error: unknown) => { this.#fail(job, action, error); this.#drain() }
        )
        return false
      }
    }
    this.#advance()
    this.#handler.completed(job)
    return true
  }

  /**
   * Lets the list finish after `pending` settles and after every earlier detached list, and
   * moves on. The rest of the list is synchronous (see `detach`), so it runs in one go.
   */
  #detach (job: J, action: S, pending: PromiseLike<void>): void {
    this.#advance()
    const before = this.#tail ?? Promise.resolve()
    const tail: Promise<void> = before.then(() => pending).then(
      () => { this.#finishDetached(job) },
      (error: unknown) => { this.#guard(() => { this.#handler.failed(job, action, error) }) })
    this.#tail = tail
    void tail.then(() => { if (this.#tail === tail) this.#tail = undefined })
  }

  #finishDetached (job: J): void {
    while (job.next < job.actions.length) {
      const action = job.actions[job.next++] as S
      try {
        this.#handler.step(job, action)
      } catch (error) {
        this.#guard(() => { this.#handler.failed(job, action, error) })
        return
      }
    }
    this.#guard(() => { this.#handler.completed(job) })
  }

  /** A handler callback that throws (a bug in it) is reported as an uncaught exception, never lost, and never wedges the chain. */
  #guard (callback: () => void): void {
    try {
      callback()
    } catch (error) {
      process.nextTick(() => { throw error })
    }
  }

  /** The list at the head is done with (finished, detached or failed): the next one is up. */
  #advance (): void {
    this.#queue[this.#head++] = undefined
    this.#running = false
  }

  #fail (job: J, action: S, error: unknown): void {
    this.#advance()
    this.#handler.failed(job, action, error)
  }
}
