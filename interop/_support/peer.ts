/**
 * What every third-party client driver offers the shared interop suite: publish one message,
 * open a subscribing session (optionally with a will, a persistent session, an unsubscribe),
 * then read what it received, crash it, or close it.
 */
import type { QoS } from '../../lib/protocol/packets.js'
import type { Version } from './matrix.js'
import type { Proc } from './proc.js'
import { spawnProc } from './proc.js'

/** A message as the peer reported it. */
export interface Received {
  readonly topic: string
  readonly payload: string
  readonly qos: number
  readonly retain: boolean
  readonly userProperties: ReadonlyArray<readonly [string, string]>
  readonly responseTopic?: string | undefined
  readonly correlationData?: string | undefined
  readonly messageExpiryInterval?: number | undefined
}

export interface PeerWill { readonly topic: string, readonly payload: string, readonly qos: QoS, readonly retain?: boolean }

export interface PeerPublish {
  readonly topic: string
  /** '' with retain: clears the retained message. */
  readonly payload: string
  readonly qos: QoS
  readonly retain?: boolean
  readonly userProperties?: ReadonlyArray<readonly [string, string]>
  readonly responseTopic?: string
  readonly correlationData?: string
  readonly messageExpiryInterval?: number
}

export interface PeerSubscribe {
  readonly clientId: string
  readonly filters: readonly string[]
  /** Requested maximum QoS, the same for every filter (mosquitto_sub has one -q). */
  readonly qos: QoS
  /** Filters unsubscribed on the same connection once the SUBACK came. */
  readonly unsubscribe?: readonly string[]
  /** Default true; false resumes (or keeps) a persistent session. */
  readonly cleanStart?: boolean
  /** v5 Session Expiry Interval in seconds. */
  readonly sessionExpiry?: number
  readonly will?: PeerWill
  /** Disconnect normally (DISCONNECT, reason 0) as soon as the SUBACK came. */
  readonly thenDisconnect?: boolean
}

export interface PeerSession {
  /** CONNACK Session Present as the peer reported it; undefined when the tool does not show it. */
  readonly sessionPresent: boolean | undefined
  /** Messages received so far, in arrival order. */
  readonly received: readonly Received[]
  /** Resolves once `n` messages arrived; rejects after `ms`. */
  waitFor: (n: number, ms?: number) => Promise<readonly Received[]>
  /** Loses the connection without DISCONNECT (kills the peer process or destroys the socket). */
  crash: () => Promise<void>
}

export interface PeerDriver {
  /** Matrix column id. */
  readonly id: string
  readonly label: string
  /** The tool and its version, as this machine has it (shown in MATRIX.md). */
  readonly tool: string
  readonly versions: readonly Version[]
  /** Why this peer cannot run here, decided when the test file loads; undefined when it can. */
  readonly missing: string | undefined
  /** Connects, publishes (completing the QoS handshake) and disconnects normally. */
  publish: (scope: Scope, port: number, version: Version, message: PeerPublish) => Promise<void>
  /** Connects and subscribes; resolves once the SUBACK (and UNSUBACK) came, or, with thenDisconnect, once it disconnected. */
  subscribe: (scope: Scope, port: number, version: Version, options: PeerSubscribe) => Promise<PeerSession>
}

/**
 * Why a peer cannot run: `probe()`'s reason, or INTEROP_DISABLE (comma-separated peer ids), which
 * lets a developer see the skip path on a machine that has every tool.
 */
export function missingReason (id: string, probe: () => string | undefined): string | undefined {
  const disabled = (process.env.INTEROP_DISABLE ?? '').split(',').map(s => s.trim())
  if (disabled.includes(id)) return `disabled by INTEROP_DISABLE=${process.env.INTEROP_DISABLE ?? ''}`
  return probe()
}

/** What one test opened: every process is killed by its PID and every cleanup runs in teardown. */
export class Scope {
  readonly #procs: Proc[] = []
  readonly #cleanups: Array<() => unknown> = []

  spawn (command: string, args: readonly string[]): Proc {
    const p = spawnProc(command, args)
    this.#procs.push(p)
    return p
  }

  defer (fn: () => unknown): void { this.#cleanups.push(fn) }

  #closed = false

  /** Kills every process by its PID and runs the cleanups, once. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const p of this.#procs) p.kill('SIGKILL')
    for (const fn of this.#cleanups.reverse()) {
      try { await fn() } catch { /* teardown goes on */ }
    }
    await Promise.all(this.#procs.map(p => p.exited(2000).catch(() => undefined)))
  }
}

/** waitFor over a growing list, woken by `notify`. */
export function messageWaiter (received: readonly Received[], describe: () => string): { notify: () => void, waitFor: (n: number, ms?: number) => Promise<readonly Received[]> } {
  const waiters = new Set<() => void>()
  return {
    notify () { for (const w of [...waiters]) w() },
    waitFor (n, ms = 10000) {
      return new Promise((resolve, reject) => {
        const onWake = (): void => {
          if (received.length >= n) { clearTimeout(timer); waiters.delete(onWake); resolve(received) }
        }
        const timer = setTimeout(() => {
          waiters.delete(onWake)
          reject(new Error(`${received.length} of ${n} messages within ${ms} ms: ${JSON.stringify(received)} ${describe()}`))
        }, ms)
        waiters.add(onWake)
        onWake()
      })
    }
  }
}
