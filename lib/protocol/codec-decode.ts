/**
 * mqtt-packet's loose objects -> our `Packet` union. The decoder passes the User Properties it
 * read in wire order from the raw bytes; without them (a bare mqtt-packet object) they are
 * rebuilt from mqtt-packet's name -> value(s) object, which keeps order only within one name.
 */
import type * as Mqtt from 'mqtt-packet'
import type {
  AckProperties, AuthProperties, ConnackProperties, ConnectPacket, ConnectProperties, DisconnectProperties, Packet,
  ProtocolVersion, PublishPacket, PublishProperties, SubscribeProperties, SubscriptionRequest, UnsubscribeProperties,
  UserProperties, Will, WillProperties
} from './packets.js'

/** mqtt-packet's User Properties object -> ordered pairs; several values for a name become several pairs. */
export function userPropertiesFromMqtt (obj: Mqtt.UserProperties): UserProperties {
  const pairs: Array<readonly [string, string]> = []
  for (const name of Object.keys(obj)) {
    const value = obj[name]
    if (Array.isArray(value)) for (const v of value) pairs.push([name, String(v)])
    else if (value !== undefined) pairs.push([name, String(value)])
  }
  return pairs
}

/** User Properties read from the raw bytes: for the packet's main section and the Will's. */
export interface OrderedUserProperties {
  readonly main?: UserProperties | undefined
  readonly will?: UserProperties | undefined
}

type Loose = Record<string, unknown>

function convertProperties (raw: unknown, ordered: UserProperties | undefined, useOrdered: boolean, publish: boolean): Loose | undefined {
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined
  const out: Loose = {}
  let any = false
  for (const [key, value] of Object.entries(raw as Loose)) {
    if (value === undefined) continue
    any = true
    if (key === 'userProperties') {
      const pairs = useOrdered ? ordered : userPropertiesFromMqtt(value as Mqtt.UserProperties)
      if (pairs !== undefined) out.userProperties = pairs
    } else if (key === 'subscriptionIdentifier' && publish) {
      out.subscriptionIdentifiers = Array.isArray(value) ? value : [value]
    } else {
      out[key] = value
    }
  }
  return any ? out : undefined
}

interface RawFields {
  messageId?: number
  reasonCode?: number
  returnCode?: number
  properties?: unknown
  granted?: number[]
  bridgeMode?: boolean
}

/**
 * Converts one packet mqtt-packet decoded at `version`. For a CONNECT the version is the level it
 * announces. `ordered` overrides the User Properties (the decoder's raw walk).
 */
export function fromMqttPacket (raw: Mqtt.Packet, version: ProtocolVersion, ordered?: OrderedUserProperties): Packet {
  const r = raw as Mqtt.Packet & RawFields
  const v5 = version === 5
  switch (raw.cmd) {
    case 'publish': return publishFromMqtt(raw, r, v5, ordered)
    case 'connect': return connectFromMqtt(raw, r, version, ordered)
    case 'connack': {
      const p = v5 ? convertProperties(r.properties, ordered?.main, ordered !== undefined, false) : undefined
      const base = { type: 'connack' as const, sessionPresent: raw.sessionPresent, reasonCode: (v5 ? r.reasonCode : r.returnCode) ?? 0 }
      return p === undefined ? base : { ...base, properties: p as ConnackProperties }
    }
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp': {
      if (!v5) return { type: raw.cmd, packetId: r.messageId as number }
      const p = convertProperties(r.properties, ordered?.main, ordered !== undefined, false)
      const base = { type: raw.cmd, packetId: r.messageId as number, reasonCode: r.reasonCode ?? 0 }
      return p === undefined ? base : { ...base, properties: p as AckProperties }
    }
    case 'subscribe': {
      const p = v5 ? convertProperties(r.properties, ordered?.main, ordered !== undefined, false) : undefined
      const base = { type: 'subscribe' as const, packetId: r.messageId as number, subscriptions: raw.subscriptions.map(v5 ? subscriptionFromMqtt5 : subscriptionFromMqtt) }
      return p === undefined ? base : { ...base, properties: p as SubscribeProperties }
    }
    case 'suback': case 'unsuback': {
      const p = v5 ? convertProperties(r.properties, ordered?.main, ordered !== undefined, false) : undefined
      const codes = raw.cmd === 'unsuback' && !v5 ? [] : (r.granted ?? []).slice()
      const base = { type: raw.cmd, packetId: r.messageId as number, reasonCodes: codes }
      return p === undefined ? base : { ...base, properties: p as AckProperties }
    }
    case 'unsubscribe': {
      const p = v5 ? convertProperties(r.properties, ordered?.main, ordered !== undefined, false) : undefined
      const base = { type: 'unsubscribe' as const, packetId: r.messageId as number, topicFilters: raw.unsubscriptions.slice() }
      return p === undefined ? base : { ...base, properties: p as UnsubscribeProperties }
    }
    case 'pingreq': return { type: 'pingreq' }
    case 'pingresp': return { type: 'pingresp' }
    case 'disconnect': {
      if (!v5) return { type: 'disconnect' }
      const p = convertProperties(r.properties, ordered?.main, ordered !== undefined, false)
      const base = { type: 'disconnect' as const, reasonCode: r.reasonCode ?? 0 }
      return p === undefined ? base : { ...base, properties: p as DisconnectProperties }
    }
    case 'auth': {
      const p = convertProperties(r.properties, ordered?.main, ordered !== undefined, false)
      const base = { type: 'auth' as const, reasonCode: r.reasonCode ?? 0 }
      return p === undefined ? base : { ...base, properties: p as AuthProperties }
    }
  }
}

/** The broker's hot path: one object literal, the payload as mqtt-packet sliced it (no copy). */
function publishFromMqtt (raw: Mqtt.IPublishPacket, r: RawFields, v5: boolean, ordered: OrderedUserProperties | undefined): PublishPacket {
  const payload = typeof raw.payload === 'string' ? Buffer.from(raw.payload) : raw.payload
  const p = v5 ? convertProperties(r.properties, ordered?.main, ordered !== undefined, true) as PublishProperties | undefined : undefined
  if (raw.qos === 0) {
    return p === undefined
      ? { type: 'publish', topic: raw.topic, payload, qos: 0, retain: raw.retain, dup: raw.dup }
      : { type: 'publish', topic: raw.topic, payload, qos: 0, retain: raw.retain, dup: raw.dup, properties: p }
  }
  return p === undefined
    ? { type: 'publish', topic: raw.topic, payload, qos: raw.qos, retain: raw.retain, dup: raw.dup, packetId: r.messageId as number }
    : { type: 'publish', topic: raw.topic, payload, qos: raw.qos, retain: raw.retain, dup: raw.dup, packetId: r.messageId as number, properties: p }
}

function connectFromMqtt (raw: Mqtt.IConnectPacket, r: RawFields, version: ProtocolVersion, ordered: OrderedUserProperties | undefined): ConnectPacket {
  const level = (raw.protocolVersion ?? version) as ProtocolVersion
  const useOrdered = ordered !== undefined
  let will: Will | undefined
  if (raw.will !== undefined) {
    const wp = level === 5 ? convertProperties(raw.will.properties, ordered?.will, useOrdered, false) : undefined
    const payload = typeof raw.will.payload === 'string' ? Buffer.from(raw.will.payload) : raw.will.payload
    will = { topic: raw.will.topic, payload, qos: raw.will.qos ?? 0, retain: raw.will.retain ?? false, ...(wp === undefined ? {} : { properties: wp as WillProperties }) }
  }
  const cp = level === 5 ? convertProperties(r.properties, ordered?.main, useOrdered, false) : undefined
  return {
    type: 'connect',
    protocolVersion: level,
    protocolName: raw.protocolId ?? (level === 3 ? 'MQIsdp' : 'MQTT'),
    clientId: raw.clientId,
    clean: raw.clean ?? true,
    keepAlive: raw.keepalive ?? 0,
    ...(raw.username === undefined ? {} : { username: raw.username }),
    ...(raw.password === undefined ? {} : { password: raw.password }),
    ...(will === undefined ? {} : { will }),
    ...(cp === undefined ? {} : { properties: cp as ConnectProperties }),
    ...(r.bridgeMode === true ? { bridgeMode: true } : {})
  }
}

function subscriptionFromMqtt (s: Mqtt.ISubscription): SubscriptionRequest {
  return { topicFilter: s.topic, qos: s.qos }
}

function subscriptionFromMqtt5 (s: Mqtt.ISubscription): SubscriptionRequest {
  return { topicFilter: s.topic, qos: s.qos, noLocal: s.nl === true, retainAsPublished: s.rap === true, retainHandling: (s.rh ?? 0) as 0 | 1 | 2 }
}
