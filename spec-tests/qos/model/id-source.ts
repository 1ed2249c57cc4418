/**
 * The sender's packet identifiers come from the real `PacketIdAllocator`, narrowed to a tiny id
 * space: every id above `space` is reserved up front (as if held by SUBSCRIBE/UNSUBSCRIBE flows,
 * which share the allocator, v5 [MQTT-2.2.1-3]). With two or three usable ids, a handful of
 * messages already forces ids to be reused, which is where v5 [MQTT-4.3.2-5] [MQTT-4.3.3-12]
 * ("a PUBLISH reusing a released id is a new message") and id-reuse mistakes can show.
 *
 * Two ways to hold the allocator:
 * - `LiveIds`: one allocator instance, for a single linear run (property tests).
 * - `MemoIds`: for the exhaustive search, which must copy the global state at every step but
 *   cannot copy an allocator (its cursor is private). A state's allocator is identified by the
 *   ids in flight (read back from the real allocator with `isInFlight`) and the last id it
 *   handed out, which for this allocator determines its cursor. Each (state, operation) is run
 *   once on a real allocator rebuilt by replaying the operations that first led to that state,
 *   and its result is memoised. The search therefore still asks the real allocator for every id.
 */
import { MAX_PACKET_ID, type PacketId } from '../../../lib/core/ids.js'
import { PacketIdAllocator } from '../../../lib/session/packet-id-allocator.js'

export interface IdSource {
  /** True when an id can be allocated without exhausting the usable space. */
  hasFree (): boolean
  allocate (): PacketId
  /** What `PacketIdAllocator.release` returned. */
  release (id: number): boolean
  /** The usable ids the allocator reports in flight, ascending. */
  inFlight (): readonly number[]
  /** Canonical text of the allocator's state, for the search's visited set. */
  key (): string
  clone (): IdSource
}

function narrowedAllocator (space: number): PacketIdAllocator {
  const allocator = new PacketIdAllocator()
  for (let id = space + 1; id <= MAX_PACKET_ID; id++) allocator.reserve(id)
  return allocator
}

function readInFlight (allocator: PacketIdAllocator, space: number): number[] {
  const ids: number[] = []
  for (let id = 1; id <= space; id++) if (allocator.isInFlight(id)) ids.push(id)
  return ids
}

export class LiveIds implements IdSource {
  readonly #space: number
  readonly #allocator: PacketIdAllocator
  constructor (space: number) {
    this.#space = space
    this.#allocator = narrowedAllocator(space)
  }

  hasFree (): boolean { return this.inFlight().length < this.#space }
  allocate (): PacketId { return this.#allocator.allocate() }
  release (id: number): boolean { return this.#allocator.release(id) }
  inFlight (): readonly number[] { return readInFlight(this.#allocator, this.#space) }
  key (): string { return this.inFlight().join('.') }
  clone (): IdSource { throw new Error('LiveIds holds one allocator and is for linear runs only') }
}

type Op = { readonly op: 'allocate' } | { readonly op: 'release', readonly id: number }

interface AbstractIds { readonly inFlight: readonly number[], readonly last: number, readonly key: string }

/** The memo shared by all states of one search. */
export class IdSpace {
  readonly space: number
  readonly #replay = new Map<string, readonly Op[]>()
  readonly #states = new Map<string, AbstractIds>()
  readonly #allocations = new Map<string, { readonly id: PacketId, readonly next: string }>()
  readonly #releases = new Map<string, { readonly released: boolean, readonly next: string }>()
  /** How many times a real allocator was rebuilt (memo misses). */
  rebuilds = 0

  /** The allocator before any operation: nothing in flight, nothing handed out yet. */
  readonly initialKey: string

  constructor (space: number) {
    this.space = space
    this.initialKey = this.#record([], [], 0).key
  }

  state (key: string): AbstractIds {
    const state = this.#states.get(key)
    if (state === undefined) throw new Error(`unknown allocator state ${key}`)
    return state
  }

  allocate (key: string): { readonly id: PacketId, readonly next: string } {
    const memo = this.#allocations.get(key)
    if (memo !== undefined) return memo
    const ops = this.#ops(key)
    const allocator = this.#rebuild(ops)
    const id = allocator.allocate()
    const next = this.#record([...ops, { op: 'allocate' }], readInFlight(allocator, this.space), id).key
    const result = { id, next }
    this.#allocations.set(key, result)
    return result
  }

  release (key: string, id: number): { readonly released: boolean, readonly next: string } {
    const memoKey = `${key}#${id}`
    const memo = this.#releases.get(memoKey)
    if (memo !== undefined) return memo
    const ops = this.#ops(key)
    const allocator = this.#rebuild(ops)
    const released = allocator.release(id)
    const next = this.#record([...ops, { op: 'release', id }], readInFlight(allocator, this.space), this.state(key).last).key
    const result = { released, next }
    this.#releases.set(memoKey, result)
    return result
  }

  #ops (key: string): readonly Op[] {
    const ops = this.#replay.get(key)
    if (ops === undefined) throw new Error(`no replay for allocator state ${key}`)
    return ops
  }

  #rebuild (ops: readonly Op[]): PacketIdAllocator {
    this.rebuilds++
    const allocator = narrowedAllocator(this.space)
    for (const op of ops) {
      if (op.op === 'allocate') allocator.allocate()
      else allocator.release(op.id)
    }
    return allocator
  }

  #record (ops: readonly Op[], inFlight: readonly number[], last: number): AbstractIds {
    const key = `${inFlight.join('.')}/${last}`
    let state = this.#states.get(key)
    if (state === undefined) {
      state = { inFlight, last, key }
      this.#states.set(key, state)
      this.#replay.set(key, ops)
    }
    return state
  }
}

export class MemoIds implements IdSource {
  readonly #space: IdSpace
  #key: string
  constructor (space: IdSpace, key: string = space.initialKey) {
    this.#space = space
    this.#key = key
  }

  hasFree (): boolean { return this.inFlight().length < this.#space.space }
  allocate (): PacketId {
    const { id, next } = this.#space.allocate(this.#key)
    this.#key = next
    return id
  }

  release (id: number): boolean {
    const { released, next } = this.#space.release(this.#key, id)
    this.#key = next
    return released
  }

  inFlight (): readonly number[] { return this.#space.state(this.#key).inFlight }
  key (): string { return this.#key }
  clone (): IdSource { return new MemoIds(this.#space, this.#key) }
}
