/**
 * SUBSCRIBE: each filter in order (v5 [MQTT-3.8.4-5]) is validated, authorized, stored
 * (replacing the client's subscription with the same filter, v5 [MQTT-3.8.4-3]), answered in
 * one SUBACK with one code per filter in order (v5 [MQTT-3.8.4-6] [MQTT-3.9.3-1], v3.1.1
 * [MQTT-3.8.4-4] [MQTT-3.8.4-5] [MQTT-3.9.3-1]), then retained messages go out per Retain
 * Handling (v5 [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11]).
 */
import { ProtocolViolationError } from '../../core/errors.js'
import type { QoS, SubscribePacket, SubscriptionRequest } from '../../protocol/packets.js'
import { parseSharedSubscription, validateTopicFilter } from '../../protocol/index.js'
import type { ConnectionState } from '../connection-state.js'
import type { BrokerContext } from '../context.js'
import { channels } from '../events.js'
import type { Refusal } from '../options.js'
import { subscriptionToStored } from '../stored.js'
import type { Subscription } from '../topic-tree.js'

type Connected = Extract<ConnectionState, { phase: 'Connected' }>
type Outcome = { granted: QoS, sub: Subscription, isNew: boolean, shared: boolean } | { refused: number, why?: string }

export function handleSubscribe (ctx: BrokerContext, state: Connected, packet: SubscribePacket): void | Promise<void> {
  const cs = state.cs
  const version = cs.protocolVersion
  // v5 [MQTT-3.8.3-4]: No Local on a shared subscription is a protocol error.
  for (const req of packet.subscriptions) {
    if (req.noLocal === true && version === 5 && parseSharedSubscription(req.topicFilter) !== undefined) {
      throw new ProtocolViolationError('No Local cannot be set on a shared subscription')
    }
  }
  const authorize = ctx.hooks.authorizeSubscribe
  const decisions = packet.subscriptions.map(req => {
    const invalid = validateTopicFilter(req.topicFilter, version)
    if (invalid !== undefined) return { reasonCode: 0x8f } as Refusal
    const qos = (req.qos > ctx.limits.maximumQoS ? ctx.limits.maximumQoS : req.qos)
    return authorize === undefined ? qos : authorize(cs.info, { topicFilter: req.topicFilter, qos })
  })
  if (decisions.some(d => d instanceof Promise)) {
    return Promise.all(decisions).then(resolved => { if (cs.connection !== undefined && !cs.ended) apply(ctx, state, packet, resolved) })
  }
  apply(ctx, state, packet, decisions as Array<QoS | Refusal>)
}

function apply (ctx: BrokerContext, state: Connected, packet: SubscribePacket, decisions: ReadonlyArray<QoS | Refusal>): void {
  const cs = state.cs
  const v5 = cs.protocolVersion === 5
  const subscriptionIdentifier = packet.properties?.subscriptionIdentifier
  const outcomes: Outcome[] = packet.subscriptions.map((req, i) => {
    const d = decisions[i] as QoS | Refusal
    if (typeof d !== 'number') return v5 && d.reasonString !== undefined ? { refused: d.reasonCode, why: d.reasonString } : { refused: v5 ? d.reasonCode : 0x80 }
    const sub = subscriptionOf(cs.clientId, req, d, v5, subscriptionIdentifier)
    const { replaced } = ctx.tree.subscribe(sub)
    if (cs.persistent) ctx.persist(store => store.subscriptionAdded(cs.clientId, subscriptionToStored(sub)), cs)
    return { granted: d, sub, isNew: !replaced, shared: parseSharedSubscription(req.topicFilter) !== undefined }
  })
  // v5: the refusals' reason strings go in the SUBACK; the connection leaves them out when the
  // client asked for no problem information, or when they would make the SUBACK exceed the
  // client's Maximum Packet Size (v5 [MQTT-3.9.2-1]).
  const why = outcomes.flatMap(o => 'why' in o && o.why !== undefined ? [o.why] : []).join('; ')
  cs.connection?.send({
    type: 'suback',
    packetId: packet.packetId,
    reasonCodes: outcomes.map(o => 'refused' in o ? o.refused : o.granted),
    ...(why === '' ? {} : { properties: { reasonString: why } })
  })
  const now = ctx.clock.now()
  for (const o of outcomes) {
    if ('refused' in o || o.shared) continue
    const handling = o.sub.retainHandling ?? 0
    if (handling === 2 || (handling === 1 && !o.isNew)) continue
    // Retained messages go out with RETAIN 1 (v3.1.1 [MQTT-3.3.1-8]) at min(QoS, granted).
    for (const message of ctx.retained.match(o.sub.filter, now)) {
      const qos = message.qos < o.granted ? message.qos : o.granted
      const ids = o.sub.subscriptionIdentifier === undefined ? undefined : [o.sub.subscriptionIdentifier]
      cs.publish({
        ...message,
        qos,
        retain: true,
        ...(ids === undefined || !v5 ? {} : { properties: { ...message.properties, subscriptionIdentifiers: ids } })
      })
    }
  }
  const granted = outcomes.flatMap((o, i) => 'refused' in o ? [] : [{ topicFilter: packet.subscriptions[i]?.topicFilter ?? '', qos: o.granted }])
  ctx.events.emit('subscribe', cs.info, granted)
  if (channels.subscribe.hasSubscribers) channels.subscribe.publish({ clientId: cs.clientId, subscriptions: granted })
}

function subscriptionOf (clientId: string, req: SubscriptionRequest, qos: QoS, v5: boolean, subscriptionIdentifier: number | undefined): Subscription {
  if (!v5) return { clientId, filter: req.topicFilter, qos }
  return {
    clientId,
    filter: req.topicFilter,
    qos,
    ...(req.noLocal === true ? { noLocal: true } : {}),
    ...(req.retainAsPublished === true ? { retainAsPublished: true } : {}),
    ...(req.retainHandling !== undefined && req.retainHandling !== 0 ? { retainHandling: req.retainHandling } : {}),
    ...(subscriptionIdentifier !== undefined ? { subscriptionIdentifier } : {})
  }
}
