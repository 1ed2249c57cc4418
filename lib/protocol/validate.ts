/**
 * Semantic checks mqtt-packet leaves to us, on our own `Packet` objects. The decoder runs them on
 * every inbound packet (after the raw walk of scan.ts has checked bytes and UTF-8); the encoder
 * runs them, plus the shape checks of `mode: 'encode'`, on every outbound packet.
 */
import { InvalidArgumentError, InvalidTopicNameError, MalformedPacketError, ProtocolViolationError, type QosmosError } from '../core/errors.js'
import type { ConnackPacket, ConnectPacket, Packet, ProtocolVersion, PublishPacket, SubscribePacket } from './packets.js'
import type { PropertyContext } from './properties.js'
import {
  AUTH_REASON_CODES, CONNACK_REASON_CODES, CONNACK_RETURN_CODES_311, DISCONNECT_REASON_CODES, PUBACK_REASON_CODES,
  PUBREL_REASON_CODES, SUBACK_REASON_CODES, SUBACK_RETURN_CODES_311, UNSUBACK_REASON_CODES
} from './reason-codes.js'
import { isSharedFilter, validateTopicFilter, validateTopicName } from './topics.js'
import { MAX_STRING_BYTES, stringProblem, utf8Rule } from './utf8.js'
import { checkPropertyShapes, checkPropertyValues } from './validate-properties.js'

export { isValidTopicName, parseSharedSubscription, validateTopicFilter, validateTopicName, isSharedFilter } from './topics.js'

/** 'decode': bytes already checked by the raw walk. 'encode': also check every value's shape. */
export type ValidationMode = 'decode' | 'encode'

const ACK_CODES: Readonly<Record<string, ReadonlySet<number>>> = {
  puback: PUBACK_REASON_CODES, pubrec: PUBACK_REASON_CODES, pubrel: PUBREL_REASON_CODES, pubcomp: PUBREL_REASON_CODES
}
const ACK_RULE: Readonly<Record<string, string>> = {
  puback: 'v5 [MQTT-3.4.2-1]', pubrec: 'v5 [MQTT-3.5.2-1]', pubrel: 'v5 [MQTT-3.6.2-1]', pubcomp: 'v5 [MQTT-3.7.2-1]'
}

function packetIdError (id: unknown, what: string, version: ProtocolVersion): QosmosError | undefined {
  if (typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= 0xffff) return undefined
  // v3.1.1 [MQTT-2.3.1-1], v5 [MQTT-2.2.1-3]/[MQTT-2.2.1-4]: a non-zero 16-bit packet identifier.
  return new ProtocolViolationError(`${what} packet identifier ${String(id)} is not 1..65535: ${version === 5 ? 'v5 [MQTT-2.2.1-3]/[MQTT-2.2.1-4]' : 'v3.1.1 [MQTT-2.3.1-1]'}`)
}

function reasonCodeError (code: unknown, allowed: ReadonlySet<number>, what: string, rule: string): QosmosError | undefined {
  if (typeof code === 'number' && allowed.has(code)) return undefined
  return new MalformedPacketError(`${what} reason code ${String(code)} is not one of the defined codes: ${rule}`)
}

function stringError (s: string, what: string, version: ProtocolVersion): QosmosError | undefined {
  const p = stringProblem(s)
  return p === undefined ? undefined : new ProtocolViolationError(`${what} ${utf8Rule(p, version)}`)
}

function properties (props: object | undefined, context: PropertyContext, version: ProtocolVersion, mode: ValidationMode): QosmosError | undefined {
  if (version !== 5 || props === undefined) return undefined
  if (mode === 'encode') {
    const e = checkPropertyShapes(props, context)
    if (e !== undefined) return e
  }
  return checkPropertyValues(props as Readonly<Record<string, unknown>>, context)
}

/** Checks `packet` as a packet of protocol level `version`; returns the first broken rule. */
export function validatePacket (packet: Packet, version: ProtocolVersion, mode: ValidationMode = 'decode'): QosmosError | undefined {
  const encoding = mode === 'encode'
  const v5 = version === 5
  switch (packet.type) {
    case 'publish': return validatePublish(packet, version, mode)
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp':
      // v3.1.1 [MQTT-2.3.1-6], v5 [MQTT-2.2.1-5]: they carry the PUBLISH's (non-zero) identifier.
      return packetIdError(packet.packetId, packet.type.toUpperCase(), version) ??
        (v5 && packet.reasonCode !== undefined ? reasonCodeError(packet.reasonCode, ACK_CODES[packet.type] as ReadonlySet<number>, packet.type.toUpperCase(), ACK_RULE[packet.type] as string) : undefined) ??
        properties(packet.properties, packet.type, version, mode)
    case 'subscribe': return validateSubscribe(packet, version, mode)
    case 'suback': {
      const e = packetIdError(packet.packetId, 'SUBACK', version)
      if (e !== undefined) return e
      if (packet.reasonCodes.length === 0) return new ProtocolViolationError('SUBACK without reason codes: v3.1.1 [MQTT-3.8.4-5], v5 [MQTT-3.8.4-6]')
      for (const code of packet.reasonCodes) {
        const bad = v5
          ? reasonCodeError(code, SUBACK_REASON_CODES, 'SUBACK', 'v5 [MQTT-3.9.3-2]')
          : reasonCodeError(code, SUBACK_RETURN_CODES_311, 'SUBACK', 'v3.1.1 [MQTT-3.9.3-2]')
        if (bad !== undefined) return bad
      }
      return properties(packet.properties, 'suback', version, mode)
    }
    case 'unsubscribe': {
      const e = packetIdError(packet.packetId, 'UNSUBSCRIBE', version)
      if (e !== undefined) return e
      // v3.1.1 [MQTT-3.10.3-2], v5 [MQTT-3.10.3-2]: at least one Topic Filter.
      if (packet.topicFilters.length === 0) return new ProtocolViolationError(`UNSUBSCRIBE without Topic Filters: ${v5 ? 'v5' : 'v3.1.1'} [MQTT-3.10.3-2]`)
      for (const f of packet.topicFilters) {
        const bad = validateTopicFilter(f, version, encoding)
        if (bad !== undefined) return bad
      }
      return properties(packet.properties, 'unsubscribe', version, mode)
    }
    case 'unsuback': {
      const e = packetIdError(packet.packetId, 'UNSUBACK', version)
      if (e !== undefined || !v5) return e
      if (packet.reasonCodes.length === 0) return new ProtocolViolationError('UNSUBACK without reason codes: v5 [MQTT-3.11.3-2]')
      for (const code of packet.reasonCodes) {
        const bad = reasonCodeError(code, UNSUBACK_REASON_CODES, 'UNSUBACK', 'v5 [MQTT-3.11.3-2]')
        if (bad !== undefined) return bad
      }
      return properties(packet.properties, 'unsuback', version, mode)
    }
    case 'connect': return validateConnect(packet, version, mode)
    case 'connack': return validateConnack(packet, version, mode)
    case 'pingreq': case 'pingresp': return undefined
    case 'disconnect':
      if (!v5) return undefined
      return (packet.reasonCode === undefined ? undefined : reasonCodeError(packet.reasonCode, DISCONNECT_REASON_CODES, 'DISCONNECT', 'v5 [MQTT-3.14.2-1]')) ??
        properties(packet.properties, 'disconnect', version, mode)
    case 'auth':
      if (!v5) return new ProtocolViolationError(`AUTH does not exist at protocol level ${version}`)
      return reasonCodeError(packet.reasonCode, AUTH_REASON_CODES, 'AUTH', 'v5 [MQTT-3.15.2-1]') ?? properties(packet.properties, 'auth', version, mode)
  }
}

function validatePublish (packet: PublishPacket, version: ProtocolVersion, mode: ValidationMode): QosmosError | undefined {
  const v5 = version === 5
  if (packet.qos === 0) {
    // v3.1.1 [MQTT-3.3.1-2], v5 [MQTT-3.3.1-2]: DUP is 0 on every QoS 0 PUBLISH.
    if (packet.dup) return new ProtocolViolationError(`QoS 0 PUBLISH with DUP set: ${v5 ? 'v5' : 'v3.1.1'} [MQTT-3.3.1-2]`)
    // v3.1.1 [MQTT-2.3.1-5], v5 [MQTT-2.2.1-2]: a QoS 0 PUBLISH has no packet identifier.
    if (packet.packetId !== undefined) return new ProtocolViolationError(`QoS 0 PUBLISH with a packet identifier: ${v5 ? 'v5 [MQTT-2.2.1-2]' : 'v3.1.1 [MQTT-2.3.1-5]'}`)
  } else if (packet.qos === 1 || packet.qos === 2) {
    const e = packetIdError(packet.packetId, 'PUBLISH', version)
    if (e !== undefined) return e
  } else {
    return new MalformedPacketError(`PUBLISH QoS ${String(packet.qos)}: [MQTT-3.3.1-4]`)
  }
  if (mode === 'encode' && !Buffer.isBuffer(packet.payload)) return new InvalidArgumentError('PUBLISH payload must be a Buffer')
  const alias = v5 && packet.properties?.topicAlias !== undefined
  return validateTopicName(packet.topic, version, alias, mode === 'encode') ?? properties(packet.properties, 'publish', version, mode)
}

function validateSubscribe (packet: SubscribePacket, version: ProtocolVersion, mode: ValidationMode): QosmosError | undefined {
  const v5 = version === 5
  const e = packetIdError(packet.packetId, 'SUBSCRIBE', version)
  if (e !== undefined) return e
  // v3.1.1 [MQTT-3.8.3-3], v5 [MQTT-3.8.3-2]: at least one Topic Filter.
  if (packet.subscriptions.length === 0) return new ProtocolViolationError(`SUBSCRIBE without Topic Filters: ${v5 ? 'v5 [MQTT-3.8.3-2]' : 'v3.1.1 [MQTT-3.8.3-3]'}`)
  for (const s of packet.subscriptions) {
    const bad = validateTopicFilter(s.topicFilter, version, mode === 'encode')
    if (bad !== undefined) return bad
    if (s.qos !== 0 && s.qos !== 1 && s.qos !== 2) return new MalformedPacketError(`SUBSCRIBE requested QoS ${String(s.qos)}: ${v5 ? 'v5 3.8.3.1' : 'v3.1.1 [MQTT-3.8.3-4]'}`)
    if (!v5) continue
    const rh = s.retainHandling
    if (rh !== undefined && rh !== 0 && rh !== 1 && rh !== 2) return new ProtocolViolationError(`Retain Handling ${String(rh)}: v5 3.8.3.1`)
    // v5 [MQTT-3.8.3-4]: No Local on a shared subscription is a Protocol Error.
    if (s.noLocal === true && isSharedFilter(s.topicFilter)) return new ProtocolViolationError(`No Local on shared subscription ${JSON.stringify(s.topicFilter)}: v5 [MQTT-3.8.3-4]`)
  }
  return properties(packet.properties, 'subscribe', version, mode)
}

function validateConnect (packet: ConnectPacket, version: ProtocolVersion, mode: ValidationMode): QosmosError | undefined {
  const level = packet.protocolVersion
  const v5 = level === 5
  if (mode === 'encode') {
    if (level !== version) return new InvalidArgumentError(`CONNECT announces level ${level} but was to be encoded at level ${version}`)
    // v3.1.1 [MQTT-3.1.2-1], v5 [MQTT-3.1.2-1]: "MQTT" (levels 4 and 5); "MQIsdp" is MQTT 3.1's name.
    if ((packet.protocolName === 'MQIsdp') !== (level === 3)) return new ProtocolViolationError(`protocol name ${packet.protocolName} does not go with level ${level}: [MQTT-3.1.2-1]`)
    if (!Number.isInteger(packet.keepAlive) || packet.keepAlive < 0 || packet.keepAlive > 0xffff) return new InvalidArgumentError(`Keep Alive ${packet.keepAlive} is not 0..65535`)
    // v3.1.1 [MQTT-3.1.2-22]: no password without a user name (allowed in v5).
    if (!v5 && packet.password !== undefined && packet.username === undefined) return new ProtocolViolationError('password without user name: v3.1.1 [MQTT-3.1.2-22]')
    const e = stringError(packet.clientId, 'Client Identifier', level) ??
      (packet.username === undefined ? undefined : stringError(packet.username, 'User Name', level))
    if (e !== undefined) return e
    if (packet.password !== undefined && packet.password.length > MAX_STRING_BYTES) return new InvalidArgumentError('password longer than 65535 bytes')
  }
  const will = packet.will
  if (will !== undefined) {
    // v3.1.1 [MQTT-3.1.2-14], v5 [MQTT-3.1.2-12]
    if (will.qos !== 0 && will.qos !== 1 && will.qos !== 2) return new MalformedPacketError(`Will QoS ${String(will.qos)}: ${v5 ? 'v5 [MQTT-3.1.2-12]' : 'v3.1.1 [MQTT-3.1.2-14]'}`)
    const t = validateTopicName(will.topic, level, false, mode === 'encode')
    if (t !== undefined) return t instanceof InvalidTopicNameError ? t : new InvalidTopicNameError(`Will Topic: ${t.message}`)
    if (mode === 'encode' && will.payload.length > MAX_STRING_BYTES) return new InvalidArgumentError('Will Payload longer than 65535 bytes')
    const wp = properties(will.properties, 'will', level, mode)
    if (wp !== undefined) return wp
  }
  return properties(packet.properties, 'connect', level, mode)
}

function validateConnack (packet: ConnackPacket, version: ProtocolVersion, mode: ValidationMode): QosmosError | undefined {
  const v5 = version === 5
  const bad = v5
    ? reasonCodeError(packet.reasonCode, CONNACK_REASON_CODES, 'CONNACK', 'v5 [MQTT-3.2.2-8]')
    : reasonCodeError(packet.reasonCode, CONNACK_RETURN_CODES_311, 'CONNACK', 'v3.1.1 3.2.2.3 (return codes 0-5)')
  if (bad !== undefined) return bad
  // v3.1.1 [MQTT-3.2.2-4], v5 [MQTT-3.2.2-6]: a refusal has Session Present 0.
  if (packet.sessionPresent && packet.reasonCode !== 0) return new ProtocolViolationError(`CONNACK refusal with Session Present 1: ${v5 ? 'v5 [MQTT-3.2.2-6]' : 'v3.1.1 [MQTT-3.2.2-4]'}`)
  return properties(packet.properties, 'connack', version, mode)
}
