/**
 * Which handler a packet goes to, by connection phase. Every packet type is an explicit
 * decision in every phase (ARCHITECTURE rule 3).
 */
import { assertNever } from '../core/assert-never.js'
import { ProtocolViolationError } from '../core/errors.js'
import type { Packet } from '../protocol/packets.js'
import type { Connection } from './connection.js'
import type { ConnectionState } from './connection-state.js'
import type { BrokerContext } from './context.js'
import { handleAuth } from './handlers/auth.js'
import { handleConnect } from './handlers/connect.js'
import { handleDisconnect } from './handlers/disconnect.js'
import { handlePublish, handlePublishAck } from './handlers/publish.js'
import { handleSubscribe } from './handlers/subscribe.js'
import { handleUnsubscribe } from './handlers/unsubscribe.js'

export function dispatch (ctx: BrokerContext, conn: Connection, packet: Packet): void | Promise<void> {
  const state = conn.context as ConnectionState | undefined
  if (packet.type === 'connect') return handleConnect(ctx, conn, packet)
  // The decoder only lets CONNECT through first (v5 [MQTT-3.1.0-1]); here the phase decides.
  if (state === undefined) throw new ProtocolViolationError(`${packet.type.toUpperCase()} before CONNECT`)
  switch (state.phase) {
    case 'Refused':
      // v5 [MQTT-3.1.4-6]: after a refused CONNECT, nothing more is processed.
      return
    case 'AwaitingAcceptance':
      throw new ProtocolViolationError(`${packet.type.toUpperCase()} before CONNACK`)
    case 'AwaitingAuth':
      // v5 [MQTT-3.1.2-30]: only AUTH or DISCONNECT before CONNACK during enhanced authentication.
      if (packet.type === 'auth') return handleAuth(ctx, conn, state, packet)
      if (packet.type === 'disconnect') { conn.close(); return }
      throw new ProtocolViolationError(`${packet.type.toUpperCase()} during enhanced authentication`)
    case 'Connected':
      break
    default:
      return assertNever(state, 'connection phase')
  }
  switch (packet.type) {
    case 'publish': return handlePublish(ctx, conn, state, packet)
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp': return handlePublishAck(state, packet)
    case 'subscribe': return handleSubscribe(ctx, state, packet)
    case 'unsubscribe': return handleUnsubscribe(ctx, state, packet)
    // v3.1.1 [MQTT-3.12.4-1], v5 [MQTT-3.12.4-1]: every PINGREQ gets a PINGRESP.
    case 'pingreq': conn.send({ type: 'pingresp' }); return
    case 'disconnect': return handleDisconnect(conn, state, packet)
    case 'auth': return handleAuth(ctx, conn, state, packet)
    case 'connack':
    case 'suback':
    case 'unsuback':
    case 'pingresp':
      // Packets only a server sends: a client sending one breaks the protocol.
      throw new ProtocolViolationError(`a client may not send ${packet.type.toUpperCase()}`)
    default:
      return assertNever(packet, 'packet')
  }
}
