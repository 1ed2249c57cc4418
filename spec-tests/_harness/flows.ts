/**
 * Packet exchanges the broker spec-tests repeat: SUBSCRIBE and its SUBACK, PUBLISH with its
 * acknowledgements, receiving and acknowledging deliveries, and raw packet bytes for input no
 * encoder would produce. Built on the raw clients of broker.ts, so every step is on the wire.
 */
import type { RawClient } from './broker.js'
import type {
  Packet,
  PublishPacket, PublishProperties, QoS, SubackPacket, SubscribeProperties, SubscriptionRequest, UnsubackPacket
} from '../../lib/protocol/packets.js'

let nextPacketId = 1
/** A packet id for a test's own packets (1..65535). */
export function pid (): number {
  const id = nextPacketId
  nextPacketId = nextPacketId === 65535 ? 1 : nextPacketId + 1
  return id
}

/** SUBSCRIBE (a filter string means QoS 0 default options, or `qos` when given) and its SUBACK. */
export async function subscribe (
  c: RawClient,
  subs: ReadonlyArray<string | SubscriptionRequest>,
  options: { qos?: QoS, properties?: SubscribeProperties } = {}
): Promise<SubackPacket> {
  const packetId = pid()
  c.send({
    type: 'subscribe',
    packetId,
    subscriptions: subs.map(s => typeof s === 'string' ? { topicFilter: s, qos: options.qos ?? 0 } : s),
    ...(options.properties === undefined ? {} : { properties: options.properties })
  })
  const ack = await c.expect('suback')
  if (ack.packetId !== packetId) throw new Error(`SUBACK for ${ack.packetId}, expected ${packetId}`)
  return ack
}

export async function unsubscribe (c: RawClient, filters: readonly string[]): Promise<UnsubackPacket> {
  const packetId = pid()
  c.send({ type: 'unsubscribe', packetId, topicFilters: filters })
  const ack = await c.expect('unsuback')
  if (ack.packetId !== packetId) throw new Error(`UNSUBACK for ${ack.packetId}, expected ${packetId}`)
  return ack
}

export interface PublishOptions {
  readonly qos?: QoS
  readonly retain?: boolean
  readonly dup?: boolean
  readonly packetId?: number
  readonly properties?: PublishProperties
}

/** The PUBLISH packet a client would send. */
export function publishPacket (topic: string, payload: string | Buffer, o: PublishOptions = {}): PublishPacket {
  const qos = o.qos ?? 0
  return {
    type: 'publish',
    topic,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    qos,
    retain: o.retain ?? false,
    dup: o.dup ?? false,
    ...(qos > 0 ? { packetId: o.packetId ?? pid() } : {}),
    ...(o.properties === undefined ? {} : { properties: o.properties })
  }
}

/**
 * Publishes and completes the flow: QoS 1 waits for PUBACK, QoS 2 for PUBREC, sends PUBREL and
 * waits for PUBCOMP. Returns the reason code of PUBACK or PUBREC (0 when absent or QoS 0). The
 * client must not also be receiving deliveries while this waits (they would come first).
 */
export async function publish (c: RawClient, topic: string, payload: string | Buffer, o: PublishOptions = {}): Promise<number> {
  const packet = publishPacket(topic, payload, o)
  c.send(packet)
  if (packet.qos === 0) return 0
  const id = packet.packetId as number
  if (packet.qos === 1) {
    const ack = await c.expect('puback')
    if (ack.packetId !== id) throw new Error(`PUBACK for ${ack.packetId}, expected ${id}`)
    return ack.reasonCode ?? 0
  }
  const rec = await c.expect('pubrec')
  if (rec.packetId !== id) throw new Error(`PUBREC for ${rec.packetId}, expected ${id}`)
  if ((rec.reasonCode ?? 0) >= 0x80) return rec.reasonCode ?? 0
  c.send({ type: 'pubrel', packetId: id })
  const comp = await c.expect('pubcomp')
  if (comp.packetId !== id) throw new Error(`PUBCOMP for ${comp.packetId}, expected ${id}`)
  return rec.reasonCode ?? 0
}

/** Acknowledges a delivery as a well-behaved client: PUBACK, or PUBREC then (on PUBREL) PUBCOMP. */
export async function acknowledge (c: RawClient, p: PublishPacket): Promise<void> {
  if (p.qos === 0) return
  const packetId = p.packetId as number
  if (p.qos === 1) { c.send({ type: 'puback', packetId }); return }
  c.send({ type: 'pubrec', packetId })
  const rel = await c.expect('pubrel')
  if (rel.packetId !== packetId) throw new Error(`PUBREL for ${rel.packetId}, expected ${packetId}`)
  c.send({ type: 'pubcomp', packetId })
}

/** Takes `n` PUBLISH packets (anything else rejects). */
export async function receive (c: RawClient, n: number, ms?: number): Promise<PublishPacket[]> {
  const out: PublishPacket[] = []
  for (let i = 0; i < n; i++) out.push(await c.expect('publish', ms))
  return out
}

/** Takes one PUBLISH and acknowledges it. */
export async function receiveAndAck (c: RawClient, ms?: number): Promise<PublishPacket> {
  const p = await c.expect('publish', ms)
  await acknowledge(c, p)
  return p
}

export const text = (p: PublishPacket): string => p.payload.toString()

// Raw bytes, for packets the encoder refuses to produce.

export function u16 (n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}

/** A length-prefixed string from text or raw bytes (for ill-formed UTF-8). */
export function str (s: string | readonly number[]): Buffer {
  const body = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s)
  return Buffer.concat([u16(body.length), body])
}

/** First byte, Remaining Length (Variable Byte Integer), body. */
export function frame (firstByte: number, ...body: Array<Buffer | readonly number[]>): Buffer {
  const b = Buffer.concat(body.map(x => Buffer.from(x)))
  const len: number[] = []
  let n = b.length
  do {
    const digit = n % 128
    n = Math.floor(n / 128)
    len.push(n > 0 ? digit | 0x80 : digit)
  } while (n > 0)
  return Buffer.concat([Buffer.from([firstByte, ...len]), b])
}

/** The reason code of the DISCONNECT a v5 client got before the close, or undefined (3.1.1: none). */
export async function closedWith (c: RawClient): Promise<number | undefined> {
  await c.closed()
  const d = c.queued.find(p => p.type === 'disconnect')
  return d?.type === 'disconnect' ? d.reasonCode ?? 0 : undefined
}

/** SUBSCRIBE bytes without the encoder's checks: (filter, options byte) pairs; v5 gets empty properties. */
export function rawSubscribe (version: 4 | 5, packetId: number, pairs: ReadonlyArray<readonly [string, number]>): Buffer {
  return frame(0x82, u16(packetId), version === 5 ? [0] : [], ...pairs.map(([f, o]) => Buffer.concat([str(f), Buffer.from([o])])))
}

/** Every packet that arrives until none has come for `ms` (the connection staying open). */
export async function drain (c: RawClient, ms = 250): Promise<Packet[]> {
  const out: Packet[] = []
  for (;;) {
    if (c.queued.length === 0 && await c.quiet(ms)) return out
    out.push(await c.next())
  }
}
