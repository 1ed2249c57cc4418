/**
 * v5 enhanced authentication (4.12): CONNECT with an Authentication Method starts an exchange of
 * AUTH packets driven by the `enhancedAuthenticate` hook; AUTH 0x19 from a connected client
 * re-authenticates (4.12.1).
 */
import { ProtocolViolationError } from '../../core/errors.js'
import type { AuthPacket, ConnectPacket } from '../../protocol/packets.js'
import { DISCONNECT_REASON_CODES } from '../../protocol/reason-codes.js'
import type { Connection } from '../connection.js'
import type { ConnectionState } from '../connection-state.js'
import type { BrokerContext } from '../context.js'
import type { ClientInfo, EnhancedAuthResult } from '../options.js'
import { refuseConnect } from './connack.js'
import { acceptConnect } from './connect.js'

export function beginEnhancedAuth (ctx: BrokerContext, conn: Connection, packet: ConnectPacket, info: ClientInfo, method: string): void | Promise<void> {
  const hook = ctx.hooks.enhancedAuthenticate
  // v5 [MQTT-4.12.0-1]: an unsupported Authentication Method is refused (0x8C), then close.
  if (hook === undefined) return refuseConnect(conn, 5, { reasonCode: 0x8c, reasonString: `authentication method ${method} is not supported` }, true)
  const result = hook({ method, data: packet.properties?.authenticationData, reauthenticate: false, client: { clientId: info.clientId, username: info.username } })
  return settle(result, r => connectStep(ctx, conn, packet, info, method, r))
}

function connectStep (ctx: BrokerContext, conn: Connection, packet: ConnectPacket, info: ClientInfo, method: string, result: EnhancedAuthResult): void {
  if (conn.closed) return
  if ('reasonCode' in result) return refuseConnect(conn, 5, result, packet.properties?.requestProblemInformation ?? true)
  if (result.done) return acceptConnect(ctx, conn, packet, info, result.data === undefined ? { method } : { method, data: result.data })
  conn.context = { phase: 'AwaitingAuth', connect: packet, info, method } satisfies ConnectionState
  conn.send(authPacket(0x18, method, result.data))
}

export function handleAuth (ctx: BrokerContext, conn: Connection, state: ConnectionState, packet: AuthPacket): void | Promise<void> {
  const hook = ctx.hooks.enhancedAuthenticate
  const method = packet.properties?.authenticationMethod
  if (state.phase === 'AwaitingAuth') {
    // v5 [MQTT-4.12.0-2]..: the method must stay the same through the exchange, reason 0x18.
    if (hook === undefined || method !== state.method || packet.reasonCode !== 0x18) {
      throw new ProtocolViolationError('AUTH during authentication must continue (0x18) with the same method')
    }
    const result = hook({ method, data: packet.properties?.authenticationData, reauthenticate: false, client: { clientId: state.info.clientId, username: state.info.username } })
    return settle(result, r => connectStep(ctx, conn, state.connect, state.info, method, r))
  }
  if (state.phase !== 'Connected') throw new ProtocolViolationError('AUTH before CONNECT completed')
  // v5 4.12.1: re-authentication uses the method of the CONNECT; a client that did not use
  // enhanced authentication may not send AUTH (protocol error).
  if (hook === undefined || state.reauth === undefined || method !== state.reauth || (packet.reasonCode !== 0x19 && packet.reasonCode !== 0x18)) {
    throw new ProtocolViolationError('AUTH is only allowed to re-authenticate with the method of the CONNECT')
  }
  const result = hook({ method, data: packet.properties?.authenticationData, reauthenticate: true, client: { clientId: state.cs.clientId, username: state.cs.info.username } })
  return settle(result, r => {
    if (conn.closed) return
    // v5 [MQTT-4.12.1-2]: a failed re-authentication closes the connection, with a defined
    // DISCONNECT reason >= 0x80 ([MQTT-3.14.2-1]; anything else from the hook becomes 0x80).
    if ('reasonCode' in r) {
      const reasonCode = r.reasonCode >= 0x80 && DISCONNECT_REASON_CODES.has(r.reasonCode) ? r.reasonCode : 0x80
      conn.close({ reasonCode, ...(r.reasonString === undefined ? {} : { reasonString: r.reasonString }) }, new ProtocolViolationError('re-authentication failed'))
      return
    }
    conn.send(authPacket(r.done ? 0x00 : 0x18, method, r.data))
  })
}

function authPacket (reasonCode: number, method: string, data: Buffer | undefined): AuthPacket {
  return { type: 'auth', reasonCode, properties: data === undefined ? { authenticationMethod: method } : { authenticationMethod: method, authenticationData: data } }
}

function settle<T> (value: T | Promise<T>, then: (v: T) => void): void | Promise<void> {
  if (value instanceof Promise) return value.then(then)
  then(value)
}
