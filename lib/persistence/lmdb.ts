/**
 * The durable backend, on LMDB (the `lmdb` package). Every change is a small keyed write; the
 * writes issued in one turn of the event loop are committed together in one transaction and one
 * sync (group commit), and each change's promise resolves only once its transaction is durable.
 * So "acknowledge after durable" costs one sync per batch, not one per message.
 *
 * Layout: named databases with array keys, one record per protocol fact:
 *   sessions  clientId                -> StoredSession
 *   subs      [clientId, topicFilter]  -> StoredSubscription
 *   queue     [clientId, seq]          -> QueuedMessage
 *   outbound  [clientId, packetId]     -> { order, flow }   (order: first-send order, kept on replace)
 *   inbound   [clientId, packetId]     -> { order, flow }   (order: the order the peer's flows started)
 *   retained  topic                    -> StoredRetained
 *   meta      'format'                 -> FORMAT
 * Buffers (payloads, correlation data) round-trip as Buffers through msgpack.
 *
 * The directory is locked (data-dir-lock.ts); a directory holding something else, or an LMDB
 * file of another format, is refused with a StorageError rather than overwritten.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync } from 'node:fs'
import { open, type Database, type RootDatabase } from 'lmdb'
import { StorageError, type StorageFullError } from '../core/errors.js'
import type { PacketId } from '../core/ids.js'
import type { ApplicationMessage, InboundFlow, OutboundFlow } from '../qos/types.js'
import type { PersistenceBackend, RestoredFlows, SessionFlowStore } from './contract.js'
import type {
  BrokerPersistence, QueuedMessage, RestoredSession, SessionQueueStore, StoredRetained, StoredSession, StoredSubscription
} from './contract-broker.js'
import { lockDataDir, LOCK_FILE, type DataDirLock } from './data-dir-lock.js'
import { DEFAULT_MIN_FREE_BYTES, DiskSpaceGuard } from './disk-space.js'

export const FORMAT = 'qosmos-broker-store/1'
/** Sorts after every string and number in an array key: the end of a prefix range. */
const HIGH = Buffer.from([0xff])

export interface LmdbOptions {
  /** The data directory; created when missing. */
  readonly path: string
  /**
   * Skip the sync at commit (faster; a machine crash may lose the last commits, a process
   * crash does not). Default false: commits are durable before their promises resolve.
   */
  readonly noSync?: boolean
  /**
   * Bytes the store leaves free on its file system (default 64 MiB; 0: no reserve). A write
   * that adds a message (queued, in flight, retained, a QoS 2 arrival, a will over 1 KiB) and
   * would leave less is refused with a StorageFullError before anything is written: nothing
   * refused is acknowledged, and writes go through again once space is freed. Session and
   * subscription records, removals and the steps that finish a stored flow still go through,
   * so clients can reconnect and drain their queues. (disk-space.ts says why the store must
   * never reach a full disk.)
   */
  readonly minFreeBytes?: number
}

interface OutboundRecord { readonly order: number, readonly flow: OutboundFlow }
interface InboundRecord { readonly order: number, readonly flow: InboundFlow }
type Key = string | number | Array<string | number | Buffer>

interface Dbs {
  readonly root: RootDatabase
  readonly sessions: Database<StoredSession, string>
  readonly subs: Database<StoredSubscription, Key>
  readonly queue: Database<QueuedMessage, Key>
  readonly outbound: Database<OutboundRecord, Key>
  readonly inbound: Database<InboundRecord, Key>
  readonly retained: Database<StoredRetained, string>
  readonly meta: Database<string, string>
}

/** Opens (or creates) the store in `options.path`. Fails with StorageError: locked, foreign, corrupted. */
export async function openLmdbBackend (options: LmdbOptions): Promise<LmdbBackend> {
  const dir = options.path
  try {
    mkdirSync(dir, { recursive: true })
  } catch (cause) {
    throw new StorageError(`cannot create the data directory ${dir}`, { cause })
  }
  const foreign = readdirSync(dir).filter(name => name !== 'data.mdb' && name !== 'lock.mdb' && name !== LOCK_FILE)
  if (foreign.length > 0 && !existsSync(`${dir}/data.mdb`)) {
    throw new StorageError(`${dir} is not a qosmos data directory (it holds ${foreign.slice(0, 3).join(', ')}); use an empty or new directory`)
  }
  checkDataFile(dir)
  const guard = new DiskSpaceGuard({ path: dir, minFreeBytes: options.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES })
  const lock = lockDataDir(dir)
  let root: RootDatabase | undefined
  try {
    root = open({ path: dir, noSync: options.noSync === true, compression: false })
    const dbs: Dbs = {
      root,
      sessions: root.openDB({ name: 'sessions' }),
      subs: root.openDB({ name: 'subs' }),
      queue: root.openDB({ name: 'queue' }),
      outbound: root.openDB({ name: 'outbound' }),
      inbound: root.openDB({ name: 'inbound' }),
      retained: root.openDB({ name: 'retained' }),
      meta: root.openDB({ name: 'meta' })
    }
    const format = dbs.meta.get('format')
    if (format === undefined) await dbs.meta.put('format', FORMAT)
    else if (format !== FORMAT) throw new StorageError(`${dir} holds a store of format ${String(format)}, not ${FORMAT}`)
    return new LmdbBackend(dbs, lock, guard)
  } catch (cause) {
    await root?.close().catch(() => {})
    lock.release()
    if (cause instanceof StorageError) throw cause
    throw new StorageError(`cannot open the store in ${dir} (corrupted or not an LMDB file?)`, { cause })
  }
}

/** LMDB's meta page magic, at this offset of data.mdb in the format the `lmdb` package writes. */
const LMDB_MAGIC = 0xbeefc0de
const LMDB_MAGIC_OFFSET = 24

/**
 * LMDB maps its file into memory and trusts it: opening a garbage file can crash the process.
 * So an existing data.mdb must at least start with LMDB's meta page before it is opened.
 */
function checkDataFile (dir: string): void {
  const path = `${dir}/data.mdb`
  if (!existsSync(path)) return
  const head = Buffer.alloc(LMDB_MAGIC_OFFSET + 4)
  let read = 0
  try {
    const fd = openSync(path, 'r')
    try { read = readSync(fd, head, 0, head.length, 0) } finally { closeSync(fd) }
  } catch (cause) {
    throw new StorageError(`cannot read ${path}`, { cause })
  }
  if (read < head.length || head.readUInt32LE(LMDB_MAGIC_OFFSET) !== LMDB_MAGIC) {
    throw new StorageError(`${path} is corrupted or not an LMDB file; move it away to start with an empty store`)
  }
}

export class LmdbBackend implements PersistenceBackend, BrokerPersistence {
  readonly #dbs: Dbs
  readonly #lock: DataDirLock
  readonly #guard: DiskSpaceGuard
  /** The next first-send order for outbound flows (above every stored one). */
  #order = 1
  #closed = false
  #guarded = false
  #failure: Error | undefined

  constructor (dbs: Dbs, lock: DataDirLock, guard: DiskSpaceGuard) {
    this.#dbs = dbs
    this.#lock = lock
    this.#guard = guard
    for (const db of [dbs.outbound, dbs.inbound] as Array<Database<{ order: number }, Key>>) {
      for (const { value } of db.getRange()) if (value.order >= this.#order) this.#order = value.order + 1
    }
  }

  /** @internal the stores call this for every change. */
  db (): Dbs {
    if (this.#closed) throw new StorageError('the store is closed')
    if (this.#failure !== undefined) {
      throw new StorageError(`the store is out of service since a write failed (${this.#failure.message}); restart once the cause (disk full?) is fixed`, { cause: this.#failure })
    }
    return this.#dbs
  }

  /**
   * @internal The databases for a write that adds about `bytes`: throws a StorageFullError,
   * without writing, when the disk would be left with less than the reserve (minFreeBytes).
   */
  dbAdding (bytes: number): Dbs {
    const dbs = this.db()
    this.#guard.admit(bytes)
    return dbs
  }

  /** See BrokerPersistence.checkRoom: a message record of `messageBytes` against the disk's reserve. */
  checkRoom (messageBytes: number): StorageFullError | undefined {
    return this.#guard.check(RECORD_BYTES + messageBytes + 256)
  }

  /** @internal */
  nextOrder (): number { return this.#order++ }

  /**
   * @internal The promise of one write of a store: resolves once its commit is durable (lmdb
   * resolves a write after the sync of its transaction, overlappingSync included), rejects with
   * a StorageError. One promise per write on the per-message path, no async wrappers.
   *
   * lmdb opens each event-turn batch with a commit promise of its own that nobody holds; when
   * that commit fails (disk full) it would reject unobserved and end the process. So once per
   * turn, after lmdb has opened the batch (its setImmediate runs before ours), the batch's
   * promise gets a handler; the failure itself reaches every caller through the write's own
   * promise, as a StorageError.
   */
  track (write: Promise<unknown>): Promise<void> {
    if (!this.#guarded) {
      this.#guarded = true
      const root = this.#dbs.root
      setImmediate(() => {
        this.#guarded = false
        if (!this.#closed) root.committed.then(undefined, () => {})
      })
    }
    return write.then(ignore, this.#writeFailed)
  }

  /**
   * After a failed commit lmdb's state is not to be trusted (on a full disk its writer has been
   * seen to corrupt memory on later writes): no write is attempted until a restart.
   */
  readonly #writeFailed = async (cause: unknown): Promise<never> => {
    const error = await asStorageError(cause)
    this.#failure ??= error
    throw error
  }

  /**
   * @internal One write, started by `start` on the open databases, as `track` gives it; a
   * synchronous failure (closed, out of service) becomes a rejection, as from an async method.
   */
  write (start: (dbs: Dbs) => Promise<unknown>, adding?: number): Promise<void> {
    try {
      return this.track(start(adding === undefined ? this.db() : this.dbAdding(adding)))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  flowStore (clientId: string): SessionFlowStore { return new LmdbFlowStore(this, clientId) }
  queueStore (clientId: string): SessionQueueStore { return new LmdbQueueStore(this, clientId) }

  async sessionSaved (session: StoredSession): Promise<void> {
    // A session record is small and must go through for a client to reconnect and drain its
    // queue; only a will large enough to need pages of its own counts against the reserve.
    const will = session.will
    const dbs = will !== undefined && will.payload.length > SMALL_VALUE_BYTES ? this.dbAdding(messageBytes(will)) : this.db()
    await this.track(dbs.sessions.put(session.clientId, session))
  }

  async sessionEnded (clientId: string): Promise<void> {
    const dbs = this.db()
    await this.track(dbs.root.transaction(() => {
      dbs.sessions.removeSync(clientId)
      for (const db of [dbs.subs, dbs.queue, dbs.outbound, dbs.inbound] as Array<Database<unknown, Key>>) {
        for (const key of db.getKeys({ start: [clientId], end: [clientId, HIGH] })) db.removeSync(key)
      }
    }))
  }

  async subscriptionAdded (clientId: string, subscription: StoredSubscription): Promise<void> {
    await this.track(this.db().subs.put([clientId, subscription.topicFilter], subscription))
  }

  async subscriptionRemoved (clientId: string, topicFilter: string): Promise<void> {
    await this.track(this.db().subs.remove([clientId, topicFilter]))
  }

  async retainedChanged (topic: string, retained: StoredRetained | undefined): Promise<void> {
    await this.track(retained === undefined ? this.db().retained.remove(topic) : this.dbAdding(messageBytes(retained.message)).retained.put(topic, retained))
  }

  async restoreSessions (): Promise<readonly RestoredSession[]> {
    const dbs = this.db()
    return [...dbs.sessions.getRange()].map(({ value: session }) => ({
      session,
      subscriptions: [...dbs.subs.getRange({ start: [session.clientId], end: [session.clientId, HIGH] })].map(e => e.value)
    }))
  }

  async restoreRetained (): Promise<readonly StoredRetained[]> {
    return [...this.db().retained.getRange()].map(e => e.value)
  }

  /**
   * Every write issued before is durable (or has failed) once this resolves: a marker write
   * commits after them, in order. (lmdb's own `flushed` never settles after a failed commit.)
   */
  async flush (): Promise<void> {
    await this.track(this.db().meta.put('flushed', String(Date.now())))
  }

  async close (): Promise<void> {
    if (this.#closed) return
    const root = this.#dbs.root
    // Closed first: a late call (a session step still running) gets a StorageError instead of
    // a read on the closing environment. lmdb resets a read transaction on a timer after the
    // read; closing before that timer fired threw an uncaught exception (found by the chaos run).
    this.#closed = true
    try {
      // Everything written before is committed (or failed) once this marker is; lmdb's own
      // `flushed` never settles after a failed commit (disk full), which would hang the close.
      await written(this.#dbs.meta.put('flushed', String(Date.now()))).catch(() => {})
      await new Promise(resolve => setTimeout(resolve, 0))
      await root.close()
    } finally {
      this.#lock.release()
    }
  }
}

class LmdbFlowStore implements SessionFlowStore {
  readonly #backend: LmdbBackend
  readonly #clientId: string

  constructor (backend: LmdbBackend, clientId: string) {
    this.#backend = backend
    this.#clientId = clientId
  }

  // The per-message calls return the write's promise itself (`write`), no async wrapper.

  outboundFlowChanged (flow: OutboundFlow): Promise<void> {
    return this.#backend.write(dbs => {
      const key = [this.#clientId, flow.packetId]
      // A flow's first state (AwaitingPuback, AwaitingPubrec) is a new flow: its id was free, so
      // no record holds it (an id is reused only after the end of its last flow was stored) and
      // it goes last in send order without a read. A later state keeps the record's place;
      // calls for one packet id never overlap (contract.ts), so the previous change is committed.
      const order = flow.state === 'AwaitingPubcomp' ? dbs.outbound.get(key)?.order ?? this.#backend.nextOrder() : this.#backend.nextOrder()
      return dbs.outbound.put(key, { order, flow })
    }, flow.state === 'AwaitingPubcomp' ? undefined : messageBytes(flow.message)) // AwaitingPubcomp replaces a larger record
  }

  outboundFlowEnded (packetId: PacketId): Promise<void> {
    return this.#backend.write(dbs => dbs.outbound.remove([this.#clientId, packetId]))
  }

  inboundFlowStarted (flow: InboundFlow): Promise<void> {
    return this.#backend.write(dbs => dbs.inbound.put([this.#clientId, flow.packetId], { order: this.#backend.nextOrder(), flow }), RECORD_BYTES)
  }

  inboundFlowEnded (packetId: PacketId): Promise<void> {
    return this.#backend.write(dbs => dbs.inbound.remove([this.#clientId, packetId]))
  }

  async restoreFlows (): Promise<RestoredFlows> {
    const dbs = this.#backend.db()
    const range = { start: [this.#clientId], end: [this.#clientId, HIGH] }
    const outbound = [...dbs.outbound.getRange(range)].map(e => e.value).sort((a, b) => a.order - b.order).map(r => r.flow)
    const inbound = [...dbs.inbound.getRange(range)].map(e => e.value).sort((a, b) => a.order - b.order).map(r => r.flow)
    return { outbound, inbound }
  }

  async discardFlows (): Promise<void> {
    const dbs = this.#backend.db()
    const range = { start: [this.#clientId], end: [this.#clientId, HIGH] }
    await this.#backend.track(dbs.root.transaction(() => {
      for (const key of dbs.outbound.getKeys(range)) dbs.outbound.removeSync(key)
      for (const key of dbs.inbound.getKeys(range)) dbs.inbound.removeSync(key)
    }))
  }
}

class LmdbQueueStore implements SessionQueueStore {
  readonly #backend: LmdbBackend
  readonly #clientId: string

  constructor (backend: LmdbBackend, clientId: string) {
    this.#backend = backend
    this.#clientId = clientId
  }

  async messageQueued (entry: QueuedMessage): Promise<void> {
    await this.#backend.track(this.#backend.dbAdding(messageBytes(entry.message)).queue.put([this.#clientId, entry.seq], entry))
  }

  async queuedMessageRemoved (seq: number): Promise<void> {
    await this.#backend.track(this.#backend.db().queue.remove([this.#clientId, seq]))
  }

  async restoreQueue (): Promise<readonly QueuedMessage[]> {
    const db = this.#backend.db().queue
    return [...db.getRange({ start: [this.#clientId], end: [this.#clientId, HIGH] })].map(e => e.value)
  }
}

/** Awaits a write, turning any failure (disk full, closed environment) into a StorageError. */
async function written<T> (write: Promise<T>): Promise<void> {
  try {
    await write
  } catch (cause) {
    throw await asStorageError(cause)
  }
}

/** A failed write's error as a StorageError, with the underlying I/O error's message when lmdb has one. */
async function asStorageError (cause: unknown): Promise<StorageError> {
  if (cause instanceof StorageError) return cause
  // lmdb attaches the underlying I/O error (disk full: EIO/ENOSPC) as a rejected promise; it
  // is reported through our error, so it must not surface as an unhandled rejection.
  const commitError = (cause as { commitError?: unknown } | undefined)?.commitError
  let detail = (cause as Error).message
  if (commitError instanceof Promise) {
    detail = await commitError.then(() => detail, (io: unknown) => `${detail}: ${(io as Error).message}`)
  }
  return new StorageError(`a store write failed: ${detail}`, { cause })
}

function ignore (): void {}

/** What the guard counts for a record without a payload (keys, msgpack, LMDB node). */
const RECORD_BYTES = 256
/** A will payload up to this size keeps a session record within one LMDB page. */
const SMALL_VALUE_BYTES = 1024

/** What the guard counts for a record holding a message: payload, topic and properties. */
function messageBytes (message: Pick<ApplicationMessage, 'topic' | 'payload'>): number {
  return RECORD_BYTES + message.payload.length + 3 * message.topic.length + 256
}
