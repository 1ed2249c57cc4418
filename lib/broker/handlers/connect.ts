/**
 * CONNECT, in named steps: check it, settle the client identifier, authenticate (plain or v5
 * enhanced), take over a connected session with the same id, open or resume the session, answer
 * CONNACK, then attach the session (which resends unfinished flows).
 */
import { PacketTooLargeError, ProtocolViolationError, SessionTakenOverError } from '../../core/errors.js'
import type { ConnackProperties, ConnectPacket } from '../../protocol/packets.js'
import { NEVER_EXPIRES } from '../client-session.js'
import type { Connection } from '../connection.js'
import type { ConnectionState } from '../connection-state.js'
import type { BrokerContext } from '../context.js'
import { channels } from '../events.js'
import type { ClientInfo, Decision, Refusal } from '../options.js'
import { OutboundTopicAliases } from '../topic-alias.js'
import { refuseConnect } from './connack.js'
import { Connected } from './connected.js'
import { beginEnhancedAuth } from './auth.js'

export function handleConnect (ctx: BrokerContext, conn: Connection, packet: ConnectPacket): void | Promise<void> {
  // v3.1.1 [MQTT-3.1.0-2], v5 [MQTT-3.1.0-2]: a second CONNECT is a protocol violation.
  if (conn.context !== undefined) throw new ProtocolViolationError('a second CONNECT on one connection')
  conn.context = { phase: 'AwaitingAcceptance' } satisfies ConnectionState
  conn.setProtocolVersion(packet.protocolVersion)
  // v5 [MQTT-3.2.2-19] [MQTT-3.2.2-20]: even a refusing CONNACK respects the client's Maximum Packet Size.
  if (packet.protocolVersion === 5 && packet.properties?.maximumPacketSize !== undefined) conn.maxPacketSizeOut = packet.properties.maximumPacketSize
  const problemInfo = packet.properties?.requestProblemInformation ?? true

  const clientId = settleClientId(ctx, packet)
  if (typeof clientId !== 'string') return refuseConnect(conn, packet.protocolVersion, clientId, problemInfo)
  const limitRefusal = checkLimits(ctx, packet)
  if (limitRefusal !== undefined) return refuseConnect(conn, packet.protocolVersion, limitRefusal, problemInfo)

  const info: ClientInfo = {
    clientId,
    username: packet.username,
    protocolVersion: packet.protocolVersion,
    remoteAddress: conn.peer.remoteAddress,
    certificate: conn.peer.certificate
  }
  const method = packet.properties?.authenticationMethod
  if (packet.protocolVersion === 5 && method !== undefined) return beginEnhancedAuth(ctx, conn, packet, info, method)

  const authenticate = ctx.hooks.authenticate
  if (authenticate === undefined) return acceptConnect(ctx, conn, packet, info, undefined)
  const decision = authenticate({ ...info, password: packet.password })
  if (decision === true || isRefusal(decision)) return finishAuth(ctx, conn, packet, info, decision)
  return decision.then(d => finishAuth(ctx, conn, packet, info, d))
}

function finishAuth (ctx: BrokerContext, conn: Connection, packet: ConnectPacket, info: ClientInfo, decision: Decision): void {
  if (conn.closed) return
  // v5 [MQTT-3.1.4-2], v3.1.1 [MQTT-3.1.4-1]: failed authentication closes the connection.
  if (decision !== true) return refuseConnect(conn, packet.protocolVersion, decision, packet.properties?.requestProblemInformation ?? true)
  acceptConnect(ctx, conn, packet, info, undefined)
}

/**
 * v5 [MQTT-3.1.3-6] [MQTT-3.1.3-7]: an empty client identifier gets one assigned (returned in
 * CONNACK). v3.1.1 [MQTT-3.1.3-7] [MQTT-3.1.3-8]: an empty identifier needs Clean Session 1,
 * else CONNACK 0x02 (identifier rejected). MQTT 3.1 requires an identifier.
 */
function settleClientId (ctx: BrokerContext, packet: ConnectPacket): string | Refusal {
  if (packet.clientId !== '') return packet.clientId
  if (packet.protocolVersion === 3 || (packet.protocolVersion === 4 && !packet.clean)) {
    return { reasonCode: 0x85, reasonString: 'an empty client identifier needs a clean session' }
  }
  return ctx.assignClientId()
}

function checkLimits (ctx: BrokerContext, packet: ConnectPacket): Refusal | undefined {
  const { limits } = ctx
  const will = packet.will
  if (will !== undefined) {
    // v5 [MQTT-3.2.2-12]: a will QoS above Maximum QoS is refused with 0x9B.
    if (will.qos > limits.maximumQoS) return { reasonCode: 0x9b, reasonString: `Maximum QoS is ${limits.maximumQoS}` }
    // v5 [MQTT-3.2.2-13]: a retained will where retain is not available is refused with 0x9A.
    if (will.retain && !limits.retainAvailable) return { reasonCode: 0x9a, reasonString: 'retained messages are not supported' }
  }
  // As mosquitto: a 3.1/3.1.1 client cannot be told a Server Keep Alive, so a Keep Alive above
  // the maximum is refused.
  if (packet.protocolVersion !== 5 && limits.maxKeepAlive !== undefined && (packet.keepAlive === 0 || packet.keepAlive > limits.maxKeepAlive)) {
    return { reasonCode: 0x85, reasonString: `Keep Alive must be between 1 and ${limits.maxKeepAlive}` }
  }
  return undefined
}

/** After authentication: take over, open or resume the session, CONNACK, attach. */
export function acceptConnect (ctx: BrokerContext, conn: Connection, packet: ConnectPacket, info: ClientInfo, authData: { method: string, data?: Buffer } | undefined): void {
  const { limits, registry } = ctx
  const v5 = packet.protocolVersion === 5
  const props = packet.properties

  // v5 [MQTT-3.1.4-3], v3.1.1 [MQTT-3.1.4-2]: the client already connected is taken over.
  const existing = registry.get(info.clientId)
  existing?.connection?.close({ reasonCode: 0x8e, reasonString: 'session taken over' }, new SessionTakenOverError())

  // v5 3.1.2.11.2: Session Expiry Interval (absent = 0); 3.1.1: Clean Session 0 never expires.
  let expiry = v5 ? props?.sessionExpiryInterval ?? 0 : packet.clean ? 0 : NEVER_EXPIRES
  let expiryChanged = false
  if (limits.maxSessionExpiryInterval !== undefined && expiry > limits.maxSessionExpiryInterval) {
    expiry = limits.maxSessionExpiryInterval
    expiryChanged = true
  }

  const { session: cs, present } = registry.open(info, packet.clean, expiry)
  registry.cancelPendingWill(cs)
  cs.will = packet.will
  cs.expiryInterval = expiry
  cs.connection = conn
  registry.save(cs)
  const connected = new Connected(ctx, conn, cs, authData?.method)
  conn.context = connected satisfies ConnectionState

  // What the client accepts from us (v5 3.1.2.11).
  if (v5) {
    if (props?.maximumPacketSize !== undefined) conn.maxPacketSizeOut = props.maximumPacketSize
    conn.requestProblemInformation = props?.requestProblemInformation ?? true
    const aliasMax = props?.topicAliasMaximum ?? 0
    if (aliasMax > 0) conn.aliasesOut = new OutboundTopicAliases(aliasMax)
  }

  // v5 3.2.2.3.14 Server Keep Alive: the broker's maximum replaces a larger or zero Keep Alive.
  let keepAlive = packet.keepAlive
  const serverKeepAlive = v5 && limits.maxKeepAlive !== undefined && (keepAlive === 0 || keepAlive > limits.maxKeepAlive)
  if (serverKeepAlive) keepAlive = limits.maxKeepAlive as number

  const properties: ConnackProperties | undefined = v5
    ? {
        receiveMaximum: limits.receiveMaximum,
        maximumPacketSize: limits.maxPacketSize,
        topicAliasMaximum: limits.topicAliasMaximum,
        ...(limits.maximumQoS < 2 ? { maximumQoS: limits.maximumQoS as 0 | 1 } : {}),
        ...(limits.retainAvailable ? {} : { retainAvailable: false }),
        ...(packet.clientId === '' ? { assignedClientIdentifier: info.clientId } : {}),
        ...(expiryChanged ? { sessionExpiryInterval: expiry } : {}),
        ...(serverKeepAlive ? { serverKeepAlive: keepAlive } : {}),
        ...(authData !== undefined ? { authenticationMethod: authData.method, ...(authData.data !== undefined ? { authenticationData: authData.data } : {}) } : {}),
        ...(ctx.connackUserProperties !== undefined ? { userProperties: ctx.connackUserProperties } : {})
      }
    : undefined
  // v5 [MQTT-3.2.2-2] [MQTT-3.2.2-3], v3.1.1 [MQTT-3.2.2-1] [MQTT-3.2.2-2] [MQTT-3.2.2-3]:
  // Session Present says whether a session was resumed; v5 [MQTT-3.1.4-5] reason 0x00.
  const sent = conn.send(properties === undefined
    ? { type: 'connack', sessionPresent: present, reasonCode: 0 }
    : { type: 'connack', sessionPresent: present, reasonCode: 0, properties })
  if (!sent) {
    // v5 [MQTT-3.1.2-24]: even without User Properties the CONNACK exceeds the Maximum Packet
    // Size the client gave, so it cannot be sent and the connection cannot go on. It closes
    // without a word (no DISCONNECT before a CONNACK, v5 [MQTT-3.14.0-1]); the connection never
    // began, so its will is not published.
    cs.will = undefined
    conn.destroy(new PacketTooLargeError(conn.refusedSize, conn.maxPacketSizeOut))
    return
  }
  conn.accept(keepAlive)
  ctx.stats.connectionsTotal++

  cs.attach(connected, {
    resumed: present,
    peerReceiveMaximum: v5 ? props?.receiveMaximum ?? 65535 : limits.maxInflight,
    receiveMaximum: v5 ? limits.receiveMaximum : 65535
  })
  ctx.logger.debug({ clientId: info.clientId, version: packet.protocolVersion, present }, 'client connected')
  ctx.events.emit('connect', info, present)
  if (channels.connect.hasSubscribers) channels.connect.publish({ clientId: info.clientId, protocolVersion: packet.protocolVersion, sessionPresent: present })
}

function isRefusal (d: unknown): d is Refusal {
  return typeof d === 'object' && d !== null && 'reasonCode' in d
}

