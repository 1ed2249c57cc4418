/**
 * One packet-id allocator per direction, shared by PUBLISH, SUBSCRIBE and UNSUBSCRIBE
 * (v5 [MQTT-2.2.1-4], v3.1.1 [MQTT-2.3.1-2]): it never hands out an id that is still in flight,
 * and it cycles through the id space so a just-freed id is the last to be reused.
 */
import { PacketIdExhaustedError, PacketIdInUseError } from '../core/errors.js'
import { MAX_PACKET_ID, type PacketId, toPacketId } from '../core/ids.js'

/** Words of the in-flight bitmap: one bit per id 0..65535 (8 KiB). */
const WORDS = (MAX_PACKET_ID + 1) >> 5

export class PacketIdAllocator {
  /**
   * One bit per id, allocated on the first id handed out: a session that never sends QoS 1/2
   * (most idle connections) costs nothing here (bench: memory per idle connection).
   */
  #used: Uint32Array | undefined
  #inUse = 0
  #next = 1

  /** Number of ids currently in flight. */
  get size (): number { return this.#inUse }

  /** Returns an id not in flight; throws PacketIdExhaustedError when all 65535 are. */
  allocate (): PacketId {
    if (this.#inUse >= MAX_PACKET_ID) throw new PacketIdExhaustedError()
    const used = this.#used ??= new Uint32Array(WORDS)
    let id = this.#next
    while (((used[id >>> 5] as number) & (1 << (id & 31))) !== 0) id = id === MAX_PACKET_ID ? 1 : id + 1
    used[id >>> 5] = (used[id >>> 5] as number) | (1 << (id & 31))
    this.#inUse++
    this.#next = id === MAX_PACKET_ID ? 1 : id + 1
    return id as PacketId
  }

  /** Marks an id as in flight, as when flows are restored from storage. */
  reserve (id: number): PacketId {
    const packetId = toPacketId(id)
    if (this.isInFlight(packetId)) throw new PacketIdInUseError(packetId)
    const used = this.#used ??= new Uint32Array(WORDS)
    used[packetId >>> 5] = (used[packetId >>> 5] as number) | (1 << (packetId & 31))
    this.#inUse++
    return packetId
  }

  /** Frees an id; freeing an id that is not in flight is a no-op and returns false. */
  release (id: number): boolean {
    if (id < 1 || id > MAX_PACKET_ID || !this.isInFlight(id)) return false
    const used = this.#used as Uint32Array
    used[id >>> 5] = (used[id >>> 5] as number) & ~(1 << (id & 31))
    this.#inUse--
    return true
  }

  isInFlight (id: number): boolean {
    const used = this.#used
    if (used === undefined || !Number.isInteger(id) || id < 0 || id > MAX_PACKET_ID) return false
    return ((used[id >>> 5] as number) & (1 << (id & 31))) !== 0
  }

  clear (): void {
    this.#used?.fill(0)
    this.#inUse = 0
  }
}
