/**
 * One process per data directory. LMDB itself lets several processes share an environment, so
 * two brokers started on the same directory would each believe they own its sessions; a lock
 * file holding the owner's pid prevents it. A lock left by a process that no longer runs (a
 * crash, SIGKILL) is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { StorageError } from '../core/errors.js'

export const LOCK_FILE = 'qosmos.lock'

export interface DataDirLock {
  release: () => void
}

export function lockDataDir (dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number
    try {
      fd = openSync(path, 'wx')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StorageError(`cannot lock the data directory ${dir}`, { cause: error })
      const owner = readOwner(path)
      if (owner !== undefined && owner !== process.pid && isRunning(owner)) {
        throw new StorageError(`the data directory ${dir} is in use by process ${owner} (lock file ${path})`)
      }
      // Stale (its process is gone) or our own: take it over.
      rmSync(path, { force: true })
      continue
    }
    try { writeSync(fd, `${process.pid}\n`) } finally { closeSync(fd) }
    let released = false
    return {
      release () {
        if (released) return
        released = true
        if (readOwner(path) === process.pid) rmSync(path, { force: true })
      }
    }
  }
  throw new StorageError(`cannot lock the data directory ${dir}: the lock file keeps changing`)
}

function readOwner (path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function isRunning (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
