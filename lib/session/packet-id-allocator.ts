/**
 * One packet-id allocator per direction, shared by PUBLISH, SUBSCRIBE and UNSUBSCRIBE
 * (v5 [MQTT-2.2.1-4], v3.1.1 [MQTT-2.3.1-2]): it never hands out an id that is still in flight,
 * and it cycles through the id space so a just-freed id is the last to be reused.
 */
import { PacketIdExhaustedError, PacketIdInUseError } from '../core/errors.js'
import { MAX_PACKET_ID, type PacketId, toPacketId } from '../core/ids.js'

export class PacketIdAllocator {
  readonly #used = new Uint8Array(MAX_PACKET_ID + 1)
  #inUse = 0
  #next = 1

  /** Number of ids currently in flight. */
  get size (): number { return this.#inUse }

  /** Returns an id not in flight; throws PacketIdExhaustedError when all 65535 are. */
  allocate (): PacketId {
    if (this.#inUse >= MAX_PACKET_ID) throw new PacketIdExhaustedError()
    let id = this.#next
    while (this.#used[id] === 1) id = id === MAX_PACKET_ID ? 1 : id + 1
    this.#used[id] = 1
    this.#inUse++
    this.#next = id === MAX_PACKET_ID ? 1 : id + 1
    return id as PacketId
  }

  /** Marks an id as in flight, as when flows are restored from storage. */
  reserve (id: number): PacketId {
    const packetId = toPacketId(id)
    if (this.#used[packetId] === 1) throw new PacketIdInUseError(packetId)
    this.#used[packetId] = 1
    this.#inUse++
    return packetId
  }

  /** Frees an id; freeing an id that is not in flight is a no-op and returns false. */
  release (id: number): boolean {
    if (id < 1 || id > MAX_PACKET_ID || this.#used[id] !== 1) return false
    this.#used[id] = 0
    this.#inUse--
    return true
  }

  isInFlight (id: number): boolean { return this.#used[id] === 1 }

  clear (): void {
    this.#used.fill(0)
    this.#inUse = 0
  }
}
