/**
 * PUBLISH from a client, and the acknowledgements of the broker's own deliveries. The QoS
 * machines (through the session) decide what is answered and when; this handler adds what only
 * a broker knows: topic aliases, Maximum QoS, Retain Available, `$` topics and authorization.
 */
import { ProtocolViolationError } from '../../core/errors.js'
import type { PublishAckPacket, PublishPacket } from '../../protocol/packets.js'
import type { Refusal } from '../../qos/types.js'
import { messageOf } from '../../qos/at-most-once.js'
import type { Connection } from '../connection.js'
import type { ConnectionState } from '../connection-state.js'
import type { BrokerContext } from '../context.js'

type Connected = Extract<ConnectionState, { phase: 'Connected' }>

const DOLLAR_TOPIC_REFUSAL: Refusal = { reasonCode: 0x87, reasonString: 'topics starting with $ are reserved for the server' }
const STORE_FULL_REFUSAL: Refusal = { reasonCode: 0x97, reasonString: 'the server\'s store is full; try again later' }

export function handlePublish (ctx: BrokerContext, conn: Connection, state: Connected, received: PublishPacket): void | Promise<void> {
  const { limits } = ctx
  const cs = state.cs
  // v5 [MQTT-3.3.2-12]: aliases from 1 to our Topic Alias Maximum, resolved per connection.
  const packet = cs.protocolVersion === 5 ? state.aliasesIn.resolve(received) : received
  if (packet.qos > limits.maximumQoS) {
    // v5 [MQTT-3.2.2-11]: a PUBLISH above the Maximum QoS given in CONNACK: DISCONNECT 0x9B.
    conn.close({ reasonCode: 0x9b, reasonString: `Maximum QoS is ${limits.maximumQoS}` }, new ProtocolViolationError('QoS not supported'))
    return
  }
  if (packet.retain && !limits.retainAvailable) {
    // v5 [MQTT-3.2.2-14]: RETAIN 1 when Retain Available is 0: DISCONNECT 0x9A.
    conn.close({ reasonCode: 0x9a, reasonString: 'retained messages are not supported' }, new ProtocolViolationError('retain not supported'))
    return
  }
  // Topics starting with '$' are the server's (v5 4.7.2): clients may not publish to them.
  if (packet.topic.startsWith('$')) return deliverOrRefuse(cs, packet, DOLLAR_TOPIC_REFUSAL)
  const authorize = ctx.hooks.authorizePublish
  if (authorize === undefined) return accept(ctx, conn, cs, packet)
  const decision = authorize(cs.info, messageOf(packet))
  if (decision === true) return accept(ctx, conn, cs, packet)
  if (!(decision instanceof Promise)) return deliverOrRefuse(cs, packet, decision)
  return decision.then(d => { if (conn.closed) return; if (d === true) accept(ctx, conn, cs, packet); else deliverOrRefuse(cs, packet, d) })
}

/**
 * Hands the PUBLISH to the session's machines. A refused QoS 0 message is dropped; a refused
 * QoS 1/2 message is acknowledged with the reason code (v5) and not delivered (3.1.1 has no
 * negative acknowledgement, so the client sees a plain PUBACK/PUBREC, as with mosquitto).
 */
function deliverOrRefuse (cs: Connected['cs'], packet: PublishPacket, refuse: Refusal | undefined): void {
  if (refuse !== undefined && packet.qos === 0) return
  cs.receive(packet, refuse)
}

/**
 * A PUBLISH the broker takes, if its store has room. A QoS 1/2 or retained message may have to
 * be stored (persistent subscribers' copies, the retained store), so while the store's disk is
 * below its reserve (BrokerPersistence.checkRoom) it is refused before it reaches anyone: v5
 * with PUBACK/PUBREC 0x97 Quota exceeded, which ends the flow (v5 [MQTT-4.3.2-5], [MQTT-4.3.3-9]);
 * 3.1.1, which has no negative acknowledgement, by closing the connection, so that the client
 * sends it again later. A QoS 0 message is dropped (at most once). A resent QoS 2 PUBLISH of a
 * flow already taken is not a new message: it is answered as usual (v5 [MQTT-4.3.3-10]).
 */
function accept (ctx: BrokerContext, conn: Connection, cs: Connected['cs'], packet: PublishPacket): void {
  if (packet.qos === 0 && !packet.retain) return cs.receive(packet)
  const full = ctx.storeFull(packet.payload.length + packet.topic.length)
  if (full === undefined || (packet.qos === 2 && cs.holdsInbound(packet.packetId ?? 0))) return cs.receive(packet)
  if (packet.qos === 0) { ctx.stats.publishDropped++; return }
  if (cs.protocolVersion === 5) return cs.receive(packet, STORE_FULL_REFUSAL)
  conn.fail(full)
}

export function handlePublishAck (state: Connected, packet: PublishAckPacket): void {
  state.cs.receive(packet)
}
