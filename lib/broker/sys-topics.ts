/**
 * `$SYS/broker/...` topics, published periodically as retained messages, in mosquitto's names
 * where they exist. Wildcard subscriptions at the first level do not see them (v5 [MQTT-4.7.2-1]).
 */
import type { TimerHandle } from '../core/clock.js'
import type { BrokerContext } from './context.js'
import { VERSION } from './version.js'

export class SysTopics {
  readonly #ctx: BrokerContext
  readonly #intervalMs: number
  readonly #connectionCount: () => number
  #timer: TimerHandle | undefined
  #stopped = false

  constructor (ctx: BrokerContext, intervalSeconds: number, connectionCount: () => number) {
    this.#ctx = ctx
    this.#intervalMs = intervalSeconds * 1000
    this.#connectionCount = connectionCount
  }

  start (): void {
    if (this.#intervalMs <= 0 || this.#timer !== undefined || this.#stopped) return
    this.publish()
    this.#arm()
  }

  stop (): void {
    this.#stopped = true
    if (this.#timer !== undefined) this.#ctx.clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #arm (): void {
    this.#timer = this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined
      if (this.#stopped) return
      this.publish()
      this.#arm()
    }, this.#intervalMs)
  }

  /** Publishes every $SYS value once. */
  publish (): void {
    const ctx = this.#ctx
    const { stats, registry, retained, tree } = ctx
    let inflight = 0
    let queued = 0
    let dropped = 0
    for (const cs of registry.values()) {
      const s = cs.stats
      inflight += s.inflightOutbound + s.inflightInbound
      queued += s.queued
      dropped += s.dropped.queueFullQos0 + s.dropped.queueFullRefused + s.dropped.offlineQos0 + s.expired
    }
    const values: Array<[string, string | number]> = [
      ['version', `qosmos ${VERSION}`],
      ['uptime', `${Math.floor((ctx.clock.now() - ctx.startedAt) / 1000)} seconds`],
      ['clients/connected', registry.connectedCount()],
      ['clients/total', registry.size],
      ['clients/connections', this.#connectionCount()],
      ['clients/accepted', stats.connectionsTotal],
      ['messages/received', stats.messagesReceived],
      ['messages/sent', stats.messagesSent],
      ['publish/messages/received', stats.publishReceived],
      ['publish/messages/sent', stats.publishSent],
      ['publish/messages/dropped', stats.publishDropped],
      ['bytes/received', stats.bytesReceived],
      ['bytes/sent', stats.bytesSent],
      ['messages/inflight', inflight],
      ['messages/queued', queued],
      ['messages/dropped', dropped],
      ['subscriptions/count', tree.size],
      ['retained messages/count', retained.size]
    ]
    for (const [name, value] of values) {
      ctx.router.publish({ topic: `$SYS/broker/${name}`, payload: Buffer.from(String(value)), qos: 0, retain: true }, undefined, undefined)
    }
  }
}
