/**
 * The durable client store, on the lmdb backend (lmdb.ts): in-flight flows both ways and the
 * offline queue survive a crash of the client process. Each change resolves once committed, and
 * the session awaits that before it sends the PUBLISH, PUBREL or PUBREC that depends on it.
 */
import type { ClientStore } from './contract-client.js'
import { clientStoreOf } from './client-memory.js'
import { openLmdbBackend } from './lmdb.js'

export interface LmdbClientStoreOptions {
  /** Data directory, used by one client process at a time (it is locked). */
  readonly path: string
  /** The client id the data belongs to; default 'client'. One directory may hold several. */
  readonly clientId?: string
  /** Skip the sync at commit (a process crash loses nothing, a machine crash may). Default false. */
  readonly noSync?: boolean
  /**
   * Bytes left free on the directory's file system (default 64 MiB; 0: no reserve): a publish
   * that would leave less is refused with a StorageFullError, before anything is written.
   */
  readonly minFreeBytes?: number
}

export async function openLmdbClientStore (options: LmdbClientStoreOptions): Promise<ClientStore> {
  const backend = await openLmdbBackend({
    path: options.path,
    ...(options.noSync === undefined ? {} : { noSync: options.noSync }),
    ...(options.minFreeBytes === undefined ? {} : { minFreeBytes: options.minFreeBytes })
  })
  return clientStoreOf(backend, options.clientId ?? 'client')
}
