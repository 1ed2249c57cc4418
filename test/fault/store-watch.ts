/**
 * Diagnostics for a wedged run: wraps a broker store's per-session flow and queue stores so that
 * the writes still pending (promise not settled) can be listed with their age.
 */
import diagnostics from 'node:diagnostics_channel'
import { QOS_TRANSITION_CHANNEL, type QosTransitionMessage } from '../../lib/session/index.js'
import type { BrokerPersistence } from '../../lib/persistence/contract-broker.js'

export class StoreWatch {
  readonly #pending = new Map<number, { what: string, since: number }>()
  #next = 0

  constructor (store: BrokerPersistence) {
    for (const factory of ['flowStore', 'queueStore'] as const) {
      const original = store[factory].bind(store) as (clientId: string) => object
      const wrapped = (clientId: string): object => {
        const inner = original(clientId) as Record<string, unknown>
        return new Proxy(inner, {
          get: (target, name) => {
            const value = target[name as string]
            if (typeof value !== 'function') return value
            return (...args: unknown[]) => this.#track(`${clientId} ${String(name)}`, (value as (...a: unknown[]) => unknown).apply(target, args))
          }
        })
      }
      Object.defineProperty(store, factory, { value: wrapped, configurable: true })
    }
  }

  #track (what: string, result: unknown): unknown {
    if (!(result instanceof Promise)) return result
    const id = this.#next++
    this.#pending.set(id, { what, since: Date.now() })
    return result.finally(() => { this.#pending.delete(id) })
  }

  /** Writes pending longer than `ms`. */
  stuck (ms = 1000): string[] {
    const now = Date.now()
    return [...this.#pending.values()].filter(p => now - p.since > ms).map(p => `${p.what} pending ${now - p.since} ms`)
  }
}

/** The current state of every QoS flow, by session, from the session's diagnostics channel. */
export class FlowWatch {
  readonly #flows = new Map<object, Map<string, string>>()
  readonly #listener = (m: unknown): void => {
    const t = m as QosTransitionMessage
    let flows = this.#flows.get(t.session)
    if (flows === undefined) this.#flows.set(t.session, flows = new Map())
    const key = `${t.direction} ${t.packetId}`
    if (t.to === undefined) flows.delete(key)
    else flows.set(key, t.to)
  }

  constructor () { diagnostics.subscribe(QOS_TRANSITION_CHANNEL, this.#listener) }

  describe (session: object): string {
    return [...(this.#flows.get(session) ?? new Map<string, string>())].map(([k, v]) => `${k}:${v}`).join(', ')
  }

  stop (): void { diagnostics.unsubscribe(QOS_TRANSITION_CHANNEL, this.#listener) }
}
