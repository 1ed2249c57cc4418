/**
 * Child processes of interop tests (mosquitto_pub/sub, python paho peers): line-buffered
 * stdout, bounded waits, and a kill by PID that teardown always runs.
 */
import { spawn, type ChildProcess } from 'node:child_process'

export interface Proc {
  readonly pid: number | undefined
  /** Complete stdout lines so far. */
  readonly lines: readonly string[]
  readonly stderr: string
  /** Resolves with the first line (already seen or still to come) that `match` accepts. */
  waitLine: (match: (line: string, index: number) => boolean, what: string, ms?: number) => Promise<string>
  /** Resolves with the exit code (null when killed by a signal); rejects after `ms`. */
  exited: (ms?: number) => Promise<number | null>
  /** Calls `fn` with every complete stdout line, those already seen first. */
  onLine: (fn: (line: string) => void) => void
  /** Writes one line to stdin. */
  send: (line: string) => void
  /** Sends `signal` to the process by its PID, if it still runs. */
  kill: (signal?: NodeJS.Signals) => void
  readonly running: boolean
}

const WAIT_MS = 10000

export function spawnProc (command: string, args: readonly string[]): Proc {
  const child: ChildProcess = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  const lines: string[] = []
  let partial = ''
  let stderr = ''
  let exitCode: number | null | undefined
  const waiters = new Set<() => void>()
  const listeners: Array<(line: string) => void> = []
  const wake = (): void => { for (const w of [...waiters]) w() }
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    partial += chunk
    const parts = partial.split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts)
    for (const line of parts) for (const fn of listeners) fn(line)
    wake()
  })
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => { stderr += chunk })
  child.stdin?.on('error', () => { /* the peer may exit before reading */ })
  child.on('error', err => { stderr += `spawn error: ${err.message}`; exitCode = -1; wake() })
  // 'close' comes after stdout is drained, so no line is lost to a waiter that sees the exit.
  child.on('close', code => { exitCode = code; wake() })

  const wait = <T>(ms: number, take: () => T | undefined, what: string): Promise<T> => new Promise((resolve, reject) => {
    const check = (): boolean => {
      const v = take()
      if (v !== undefined) { done(); resolve(v); return true }
      return false
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${command}: no ${what} within ${ms} ms; stdout: ${lines.join(' | ')}; stderr: ${stderr}`))
    }, ms)
    const done = (): void => { clearTimeout(timer); waiters.delete(onWake) }
    const onWake = (): void => {
      if (check()) return
      if (exitCode !== undefined) {
        done()
        reject(new Error(`${command} exited (${String(exitCode)}) before ${what}; stdout: ${lines.join(' | ')}; stderr: ${stderr}`))
      }
    }
    if (!check()) { waiters.add(onWake); onWake() }
  })

  return {
    get pid () { return child.pid },
    lines,
    get stderr () { return stderr },
    waitLine (match, what, ms = WAIT_MS) {
      let seen = 0
      return wait(ms, () => {
        for (; seen < lines.length; seen++) {
          const line = lines[seen] as string
          if (match(line, seen)) return line
        }
        return undefined
      }, what)
    },
    exited (ms = WAIT_MS) {
      return new Promise((resolve, reject) => {
        if (exitCode !== undefined) { resolve(exitCode); return }
        const timer = setTimeout(() => { reject(new Error(`${command} did not exit within ${ms} ms; stderr: ${stderr}`)) }, ms)
        child.once('close', code => { clearTimeout(timer); resolve(code) })
      })
    },
    onLine (fn) {
      for (const line of lines) fn(line)
      listeners.push(fn)
    },
    send (line) { child.stdin?.write(line + '\n') },
    kill (signal = 'SIGKILL') {
      if (exitCode === undefined && child.pid !== undefined) {
        try { process.kill(child.pid, signal) } catch { /* already gone */ }
      }
    },
    get running () { return exitCode === undefined }
  }
}
