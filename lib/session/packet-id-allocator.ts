/**
 * One packet-id allocator per direction, shared by PUBLISH, SUBSCRIBE and UNSUBSCRIBE
 * (v5 [MQTT-2.2.1-4], v3.1.1 [MQTT-2.3.1-2]): it never hands out an id that is still in flight,
 * and it cycles through the id space so a just-freed id is the last to be reused.
 */
import { PacketIdExhaustedError, PacketIdInUseError } from '../core/errors.js'
import { MAX_PACKET_ID, type PacketId, toPacketId } from '../core/ids.js'

/** Words of the in-flight bitmap: one bit per id 0..65535 (8 KiB). */
const WORDS = (MAX_PACKET_ID + 1) >> 5
/**
 * Up to this many ids in flight are kept in a small array; beyond it, in the bitmap. A session
 * with a few messages in flight (most of them) then costs a few words instead of 8 KiB, and the
 * bitmap goes again once nothing is in flight. An array, not a Set: removing the last id from
 * a small Set allocates a new table (once per message at one message in flight), and a linear
 * search of a few dozen numbers is as fast as hashing.
 */
const FEW_MAX = 32

export class PacketIdAllocator {
  /** The ids in flight while there are few of them (and no bitmap), unordered. */
  #few: number[] | undefined
  /** One bit per id, while many ids are in flight. */
  #used: Uint32Array | undefined
  #inUse = 0
  #next = 1

  /** Number of ids currently in flight. */
  get size (): number { return this.#inUse }

  /** Returns an id not in flight; throws PacketIdExhaustedError when all 65535 are. */
  allocate (): PacketId {
    if (this.#inUse >= MAX_PACKET_ID) throw new PacketIdExhaustedError()
    let id = this.#next
    const used = this.#used ?? this.#bitmapWhenFull()
    if (used === undefined) {
      const few = this.#few ??= []
      while (few.includes(id)) id = id === MAX_PACKET_ID ? 1 : id + 1
      few.push(id)
    } else {
      while (((used[id >>> 5] as number) & (1 << (id & 31))) !== 0) id = id === MAX_PACKET_ID ? 1 : id + 1
      used[id >>> 5] = (used[id >>> 5] as number) | (1 << (id & 31))
    }
    this.#inUse++
    this.#next = id === MAX_PACKET_ID ? 1 : id + 1
    return id as PacketId
  }

  /** Marks an id as in flight, as when flows are restored from storage. */
  reserve (id: number): PacketId {
    const packetId = toPacketId(id)
    if (this.isInFlight(packetId)) throw new PacketIdInUseError(packetId)
    const used = this.#used ?? this.#bitmapWhenFull()
    if (used === undefined) (this.#few ??= []).push(packetId)
    else used[packetId >>> 5] = (used[packetId >>> 5] as number) | (1 << (packetId & 31))
    this.#inUse++
    return packetId
  }

  /** Frees an id; freeing an id that is not in flight is a no-op and returns false. */
  release (id: number): boolean {
    if (id < 1 || id > MAX_PACKET_ID || !this.isInFlight(id)) return false
    const used = this.#used
    if (used === undefined) removeFew(this.#few as number[], id)
    else used[id >>> 5] = (used[id >>> 5] as number) & ~(1 << (id & 31))
    if (--this.#inUse === 0) this.#used = undefined
    return true
  }

  isInFlight (id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id > MAX_PACKET_ID) return false
    const used = this.#used
    if (used === undefined) return this.#few?.includes(id) ?? false
    return ((used[id >>> 5] as number) & (1 << (id & 31))) !== 0
  }

  clear (): void {
    this.#used = undefined
    this.#few = undefined
    this.#inUse = 0
  }

  /** Moves the ids in flight from the array to a bitmap once the array is full; else undefined. */
  #bitmapWhenFull (): Uint32Array | undefined {
    const few = this.#few
    if (few === undefined || few.length < FEW_MAX) return undefined
    const used = new Uint32Array(WORDS)
    for (const id of few) used[id >>> 5] = (used[id >>> 5] as number) | (1 << (id & 31))
    this.#few = undefined
    this.#used = used
    return used
  }
}

/** Removes an id known to be in the array: the last element takes its place. */
function removeFew (few: number[], id: number): void {
  const i = few.indexOf(id)
  const last = few.pop() as number
  if (i < few.length) few[i] = last
}
