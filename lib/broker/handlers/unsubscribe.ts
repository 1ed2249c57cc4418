/**
 * UNSUBSCRIBE: filters compared character by character with the client's subscriptions
 * (v5 [MQTT-3.10.4-1]); one UNSUBACK, sent even when nothing was removed (v5 [MQTT-3.10.4-4]
 * [MQTT-3.10.4-5], v3.1.1 [MQTT-3.10.4-4] [MQTT-3.10.4-5]), with one reason code per filter in
 * v5 (0x00, or 0x11 No subscription existed; [MQTT-3.11.3-1] [MQTT-3.11.3-2]).
 */
import type { UnsubscribePacket } from '../../protocol/packets.js'
import type { ConnectionState } from '../connection-state.js'
import type { BrokerContext } from '../context.js'

type Connected = Extract<ConnectionState, { phase: 'Connected' }>

export function handleUnsubscribe (ctx: BrokerContext, state: Connected, packet: UnsubscribePacket): void {
  const cs = state.cs
  const codes = packet.topicFilters.map(filter => {
    const removed = ctx.tree.unsubscribe(cs.clientId, filter)
    if (removed && cs.persistent) ctx.persist(store => store.subscriptionRemoved(cs.clientId, filter), cs)
    return removed ? 0x00 : 0x11
  })
  cs.connection?.send({ type: 'unsuback', packetId: packet.packetId, reasonCodes: cs.protocolVersion === 5 ? codes : [] })
  ctx.events.emit('unsubscribe', cs.info, packet.topicFilters)
}
