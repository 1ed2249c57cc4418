/**
 * The qosmos side of an interop test: a broker on 127.0.0.1 port 0 (closed in teardown) and
 * raw-packet observers from spec-tests/_harness, so the test sees exactly what went on the wire.
 */
import { systemClock, type Clock, type TimerHandle } from '../../lib/core/clock.js'
import type { BrokerOptions } from '../../lib/broker/options.js'
import type { PublishPacket, PublishProperties, QoS } from '../../lib/protocol/packets.js'
import { openClient, startBroker, type RawClient, type TestBroker } from '../../spec-tests/_harness/broker.js'
import type { Version } from './matrix.js'
import type { Scope } from './peer.js'

export async function qosmos (scope: Scope, options: BrokerOptions = {}): Promise<TestBroker> {
  const b = await startBroker({ sysInterval: 0, ...options })
  scope.defer(() => b.close())
  return b
}

/** The system clock with a settable offset, so "time waited in the server" needs no real waiting. */
export class SkewClock implements Clock {
  skewMs = 0
  now (): number { return systemClock.now() + this.skewMs }
  setTimeout (fn: () => void, ms: number): TimerHandle { return systemClock.setTimeout(fn, ms) }
  clearTimeout (handle: TimerHandle): void { systemClock.clearTimeout(handle) }
}

/** Where raw clients come from: a qosmos TestBroker, or any broker's port (rawSide). */
export type RawSide = Pick<TestBroker, 'connected'>

/** Raw-packet clients of the broker on `port` (any broker), each destroyed when `scope` closes. */
export function rawSide (scope: Scope, port: number): RawSide {
  return {
    async connected (version, fields = {}) {
      const c = await openClient(port, version)
      scope.defer(() => { c.destroy() })
      const ack = await c.connect(fields)
      if (ack.reasonCode !== 0) throw new Error(`CONNECT refused: ${String(ack.reasonCode)}`)
      return c
    }
  }
}

export interface Observer {
  readonly client: RawClient
  /** Takes `n` PUBLISH packets, acknowledging each as its QoS requires (PUBACK; PUBREC, then PUBCOMP for the PUBREL). */
  take: (n: number, ms?: number) => Promise<PublishPacket[]>
  /** True when nothing arrives for `ms`. */
  quiet: (ms?: number) => Promise<boolean>
}

export async function subscriber (b: RawSide, version: Version, filters: readonly string[], qos: QoS = 2): Promise<Observer> {
  const c = await b.connected(version)
  c.send({ type: 'subscribe', packetId: 1, subscriptions: filters.map(topicFilter => ({ topicFilter, qos })) })
  const ack = await c.expect('suback')
  if (ack.reasonCodes.some(r => r > 2)) throw new Error(`observer SUBSCRIBE refused: ${JSON.stringify(ack)}`)
  return {
    client: c,
    async take (n, ms = 10000) {
      const got: PublishPacket[] = []
      const awaitingPubrel = new Set<number>()
      while (got.length < n || awaitingPubrel.size > 0) {
        const p = await c.next(ms)
        if (p.type === 'publish') {
          got.push(p)
          if (p.qos === 1) c.send({ type: 'puback', packetId: p.packetId ?? 0 })
          if (p.qos === 2) { c.send({ type: 'pubrec', packetId: p.packetId ?? 0 }); awaitingPubrel.add(p.packetId ?? 0) }
        } else if (p.type === 'pubrel') {
          if (!awaitingPubrel.delete(p.packetId)) throw new Error(`PUBREL for unknown packet id ${p.packetId}`)
          c.send({ type: 'pubcomp', packetId: p.packetId })
        } else {
          throw new Error(`observer: unexpected ${p.type}`)
        }
      }
      return got
    },
    quiet (ms = 400) { return c.quiet(ms) }
  }
}

export interface RawMessage {
  readonly topic: string
  readonly payload: string
  readonly qos: QoS
  readonly retain?: boolean
  readonly properties?: PublishProperties
}

export interface Publisher { publish: (m: RawMessage) => Promise<void> }

/** A raw client that publishes and completes each QoS handshake before the next message. */
export async function publisher (b: RawSide, version: Version): Promise<Publisher> {
  const c = await b.connected(version)
  let nextId = 1
  return {
    async publish (m) {
      const packetId = m.qos === 0 ? undefined : nextId++
      c.send({
        type: 'publish',
        topic: m.topic,
        payload: Buffer.from(m.payload),
        qos: m.qos,
        retain: m.retain ?? false,
        dup: false,
        ...(packetId === undefined ? {} : { packetId }),
        ...(m.properties === undefined || version !== 5 ? {} : { properties: m.properties })
      })
      if (m.qos === 1) {
        const ack = await c.expect('puback')
        if (ack.packetId !== packetId || (ack.reasonCode ?? 0) >= 0x80) throw new Error(`bad PUBACK ${JSON.stringify(ack)}`)
      } else if (m.qos === 2) {
        const rec = await c.expect('pubrec')
        if (rec.packetId !== packetId || (rec.reasonCode ?? 0) >= 0x80) throw new Error(`bad PUBREC ${JSON.stringify(rec)}`)
        c.send({ type: 'pubrel', packetId: rec.packetId })
        const comp = await c.expect('pubcomp')
        if (comp.packetId !== packetId) throw new Error(`bad PUBCOMP ${JSON.stringify(comp)}`)
      }
    }
  }
}
