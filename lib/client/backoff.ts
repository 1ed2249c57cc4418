/** Reconnect delays: exponential backoff with jitter, capped; the clock and the random source are injected. */
import type { Clock, TimerHandle } from '../core/clock.js'
import { InvalidArgumentError } from '../core/errors.js'
import type { ReconnectOptions } from './options.js'

export interface BackoffPolicy {
  readonly initialDelay: number
  readonly maxDelay: number
  readonly multiplier: number
  readonly jitter: number
  readonly maxAttempts: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialDelay: 1000, maxDelay: 30_000, multiplier: 2, jitter: 0.5, maxAttempts: Infinity }

export function backoffPolicy (options: ReconnectOptions = {}): BackoffPolicy {
  const policy = { ...DEFAULT_BACKOFF, ...stripUndefined(options) }
  if (!(policy.initialDelay >= 0) || !(policy.maxDelay >= policy.initialDelay)) throw new InvalidArgumentError('reconnect: need 0 <= initialDelay <= maxDelay')
  if (!(policy.multiplier >= 1)) throw new InvalidArgumentError('reconnect: multiplier must be >= 1')
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) throw new InvalidArgumentError('reconnect: jitter must be between 0 and 1')
  if (!(policy.maxAttempts >= 1)) throw new InvalidArgumentError('reconnect: maxAttempts must be >= 1')
  return policy
}

/**
 * The delay before retry number `attempt` (1 = first retry): the exponential step, capped at
 * maxDelay, less a random share of up to `jitter` of it, so that many clients cut off together
 * do not come back together.
 */
export function backoffDelay (policy: BackoffPolicy, attempt: number, random: () => number): number {
  const step = Math.min(policy.maxDelay, policy.initialDelay * Math.pow(policy.multiplier, Math.max(0, attempt - 1)))
  return Math.round(step * (1 - policy.jitter * random()))
}

function stripUndefined (options: ReconnectOptions): Partial<BackoffPolicy> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<BackoffPolicy>
}

/** The retry timer of one client: counts failed attempts in a row, waits the backoff delay on the injected clock. */
export class RetryTimer {
  readonly #policy: BackoffPolicy
  readonly #clock: Clock
  readonly #random: () => number
  #attempt = 0
  #timer: TimerHandle | undefined

  constructor (policy: BackoffPolicy, clock: Clock, random: () => number) {
    this.#policy = policy
    this.#clock = clock
    this.#random = random
  }

  /** A connection was accepted: the next loss starts from the first delay again. */
  reset (): void { this.#attempt = 0 }

  /** Runs `attempt(n)` after the next delay; false (and nothing scheduled) once maxAttempts have failed. */
  schedule (attempt: (n: number) => void): boolean {
    this.#attempt++
    if (this.#attempt > this.#policy.maxAttempts) return false
    const n = this.#attempt
    this.#timer = this.#clock.setTimeout(() => { this.#timer = undefined; attempt(n) }, backoffDelay(this.#policy, n, this.#random))
    return true
  }

  cancel (): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
