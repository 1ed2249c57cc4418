/**
 * Keeps a store off a full disk. A write that adds data is admitted only while the file system
 * holding the store keeps `minFreeBytes` free after it; otherwise it is refused with a
 * StorageFullError before the store is touched. Nothing refused is acknowledged, the store stays
 * in service, and writes go through again once space is freed.
 *
 * Why before, not after: LMDB's writer, after a commit of values larger than a page failed on a
 * full disk, corrupts the process heap and the process aborts ("corrupted size vs. prev_size").
 * A store that never lets its disk fill never takes that path. The reserve also leaves room for
 * what must still go through on a nearly full disk, unguarded: removals (a PUBACK's end of a
 * flow) and small session and subscription records, which shrink or barely grow the file.
 *
 * The free space is read with statfs at most every `REFRESH_MS`, or sooner when what was
 * admitted since could have used the margin above the reserve; between two looks, each admitted
 * write is counted as LMDB's copy-on-write may cost it: twice its size and a page.
 */
import { statfsSync } from 'node:fs'
import { StorageFullError } from '../core/errors.js'

/** The default reserve: 64 MiB. */
export const DEFAULT_MIN_FREE_BYTES = 64 * 1024 * 1024
/** How long a look at the free space is trusted, in milliseconds. */
export const REFRESH_MS = 100
const PAGE = 4096

/** What a write of `bytes` may take from the disk: LMDB copies on write, so twice its size and a page. */
function cost (bytes: number): number { return 2 * bytes + PAGE }

/** Bytes free for an unprivileged writer on the file system holding `path`. */
export function freeBytes (path: string): number {
  const s = statfsSync(path)
  return s.bavail * s.bsize
}

export interface DiskSpaceGuardOptions {
  /** The directory whose file system is watched. */
  readonly path: string
  /** Bytes that must stay free; 0 turns the guard off. */
  readonly minFreeBytes: number
  /** Reads the free bytes (default: statfs of `path`). */
  readonly free?: (path: string) => number
  /** Milliseconds, monotonic (default: performance.now). */
  readonly now?: () => number
}

export class DiskSpaceGuard {
  readonly #path: string
  readonly #minFree: number
  readonly #free: (path: string) => number
  readonly #now: () => number
  /** Free bytes at the last look, less what was admitted since. */
  #left = 0
  #lookedAt = Number.NEGATIVE_INFINITY

  constructor (options: DiskSpaceGuardOptions) {
    if (!Number.isSafeInteger(options.minFreeBytes) || options.minFreeBytes < 0) {
      throw new RangeError(`minFreeBytes must be a whole number of bytes, 0 or more (got ${String(options.minFreeBytes)})`)
    }
    this.#path = options.path
    this.#minFree = options.minFreeBytes
    this.#free = options.free ?? freeBytes
    this.#now = options.now ?? (() => performance.now())
  }

  /**
   * Admits a write of about `bytes`, counting it against the free space, or throws
   * StorageFullError. A free-space reading that fails (the directory is gone) throws it too:
   * nothing is written where nothing can be checked.
   */
  admit (bytes: number): void {
    const refusal = this.check(bytes)
    if (refusal !== undefined) throw refusal
    if (this.#minFree !== 0) this.#left -= cost(bytes)
  }

  /** Why a write of about `bytes` would be refused now, or undefined; counts nothing against the free space. */
  check (bytes: number): StorageFullError | undefined {
    if (this.#minFree === 0) return undefined
    const needed = cost(bytes)
    const now = this.#now()
    if (now - this.#lookedAt >= REFRESH_MS || this.#left - needed < this.#minFree) {
      try {
        this.#left = this.#free(this.#path)
      } catch (cause) {
        this.#lookedAt = Number.NEGATIVE_INFINITY
        return new StorageFullError(`cannot read the free space of ${this.#path}; the write is refused`, { cause })
      }
      this.#lookedAt = now
    }
    if (this.#left - needed >= this.#minFree) return undefined
    return new StorageFullError(`the disk holding ${this.#path} is nearly full: ${this.#left} bytes free, and the store keeps ${this.#minFree} free (minFreeBytes); a write of about ${bytes} bytes is refused`)
  }
}
