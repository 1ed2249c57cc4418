/**
 * Our `Packet` union -> mqtt-packet's loose objects, for one protocol level. v5-only fields
 * (reason codes on acknowledgements, properties, subscription options) are dropped for levels
 * 3 and 4. User Properties go last in every properties object, so that their bytes end the
 * property section (the encoder relies on this to restore their order).
 */
import type * as Mqtt from 'mqtt-packet'
import type { Packet, ProtocolVersion, SubscriptionRequest, UserProperties } from './packets.js'
import { PROPERTY_BY_NAME } from './properties.js'

/**
 * Ordered pairs -> mqtt-packet's User Properties object (several pairs with one name become an
 * array). The object has no prototype, so a name such as "__proto__" is an ordinary key.
 */
export function userPropertiesToMqtt (pairs: UserProperties): Mqtt.UserProperties {
  const obj = Object.create(null) as Record<string, string | string[]>
  for (const [name, value] of pairs) {
    const prev = obj[name]
    if (prev === undefined) obj[name] = value
    else if (Array.isArray(prev)) prev.push(value)
    else obj[name] = [prev, value]
  }
  return obj
}

type Loose = Record<string, unknown>

/** Copies the defined, known properties; renames subscriptionIdentifiers; User Properties last. */
function propertiesToMqtt (props: object | undefined): Loose | undefined {
  if (props === undefined) return undefined
  const out: Loose = {}
  let user: UserProperties | undefined
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue
    if (key === 'userProperties') user = value as UserProperties
    else if (key === 'subscriptionIdentifiers') {
      const ids = value as readonly number[]
      if (ids.length === 1) out.subscriptionIdentifier = ids[0]
      else if (ids.length > 1) out.subscriptionIdentifier = ids.slice()
    } else if (PROPERTY_BY_NAME.has(key)) out[key] = value
  }
  if (user !== undefined && user.length > 0) out.userProperties = userPropertiesToMqtt(user)
  return out
}

function withProps<T extends object> (base: T, props: object | undefined, v5: boolean): T {
  if (!v5) return base
  const p = propertiesToMqtt(props)
  return p === undefined ? base : { ...base, properties: p }
}

function subscriptionToMqtt (s: SubscriptionRequest, v5: boolean): Mqtt.ISubscription {
  if (!v5) return { topic: s.topicFilter, qos: s.qos }
  return { topic: s.topicFilter, qos: s.qos, nl: s.noLocal === true, rap: s.retainAsPublished === true, rh: s.retainHandling ?? 0 }
}

/** Converts `packet` for protocol level `version` (a CONNECT uses its own level). */
export function toMqttPacket (packet: Packet, version: ProtocolVersion): Mqtt.Packet {
  const v5 = version === 5
  switch (packet.type) {
    case 'connect': {
      const level = packet.protocolVersion
      const c: Mqtt.IConnectPacket & { bridgeMode?: boolean } = {
        cmd: 'connect',
        protocolId: packet.protocolName,
        protocolVersion: level,
        clientId: packet.clientId,
        clean: packet.clean,
        keepalive: packet.keepAlive
      }
      if (packet.username !== undefined) c.username = packet.username
      if (packet.password !== undefined) c.password = packet.password
      if (packet.will !== undefined) {
        const w = packet.will
        c.will = { topic: w.topic, payload: w.payload, qos: w.qos, retain: w.retain }
        const wp = level === 5 ? propertiesToMqtt(w.properties) : undefined
        if (wp !== undefined) c.will.properties = wp
      }
      const cp = level === 5 ? propertiesToMqtt(packet.properties) : undefined
      if (cp !== undefined) c.properties = cp
      if (packet.bridgeMode === true && level !== 5) c.bridgeMode = true
      return c
    }
    case 'connack': {
      const base: Mqtt.IConnackPacket = v5
        ? { cmd: 'connack', sessionPresent: packet.sessionPresent, reasonCode: packet.reasonCode }
        : { cmd: 'connack', sessionPresent: packet.sessionPresent, returnCode: packet.reasonCode }
      return withProps(base, packet.properties, v5)
    }
    case 'publish': {
      const base: Mqtt.IPublishPacket = { cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: packet.retain, dup: packet.dup }
      if (packet.packetId !== undefined) base.messageId = packet.packetId
      return withProps(base, packet.properties, v5)
    }
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp': {
      const base = { cmd: packet.type, messageId: packet.packetId } as Mqtt.IPubackPacket | Mqtt.IPubrecPacket | Mqtt.IPubrelPacket | Mqtt.IPubcompPacket
      if (v5) base.reasonCode = packet.reasonCode ?? 0
      return withProps(base, packet.properties, v5)
    }
    case 'subscribe':
      return withProps<Mqtt.ISubscribePacket>({ cmd: 'subscribe', messageId: packet.packetId, subscriptions: packet.subscriptions.map(s => subscriptionToMqtt(s, v5)) }, packet.properties, v5)
    case 'suback':
      return withProps<Mqtt.ISubackPacket>({ cmd: 'suback', messageId: packet.packetId, granted: packet.reasonCodes.slice() }, packet.properties, v5)
    case 'unsubscribe':
      return withProps<Mqtt.IUnsubscribePacket>({ cmd: 'unsubscribe', messageId: packet.packetId, unsubscriptions: packet.topicFilters.slice() }, packet.properties, v5)
    case 'unsuback':
      return withProps<Mqtt.IUnsubackPacket>({ cmd: 'unsuback', messageId: packet.packetId, granted: v5 ? packet.reasonCodes.slice() : [] }, packet.properties, v5)
    case 'pingreq': return { cmd: 'pingreq' }
    case 'pingresp': return { cmd: 'pingresp' }
    case 'disconnect':
      return v5 ? withProps<Mqtt.IDisconnectPacket>({ cmd: 'disconnect', reasonCode: packet.reasonCode ?? 0 }, packet.properties, true) : { cmd: 'disconnect' }
    case 'auth':
      return withProps<Mqtt.IAuthPacket>({ cmd: 'auth', reasonCode: packet.reasonCode }, packet.properties, true)
  }
}
