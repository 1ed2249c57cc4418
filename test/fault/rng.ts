/**
 * A small seeded random number generator (mulberry32), so that a fault-injection run can be
 * replayed from the seed it prints: the same seed gives the same cut offsets, delays and
 * message mix (the scheduling of the event loop still varies from run to run).
 */
export class Rng {
  #state: number
  readonly seed: number

  constructor (seed: number) {
    this.seed = seed >>> 0
    this.#state = this.seed
  }

  /** A float in [0, 1). */
  next (): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max]. */
  int (min: number, max: number): number { return min + Math.floor(this.next() * (max - min + 1)) }

  chance (p: number): boolean { return this.next() < p }

  pick<T> (items: readonly T[]): T { return items[Math.floor(this.next() * items.length)] as T }

  /** An independent generator derived from this one (for one connection, one client...). */
  fork (): Rng { return new Rng(Math.floor(this.next() * 4294967296)) }
}

/** The seed from FAULT_SEED when set (to replay a run), else a fresh one. */
export function seedFromEnv (): number {
  const fromEnv = process.env.FAULT_SEED
  if (fromEnv !== undefined && fromEnv !== '') return Number(fromEnv) >>> 0
  return Math.floor(Math.random() * 4294967296) >>> 0
}
