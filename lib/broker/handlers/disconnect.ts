/**
 * DISCONNECT from a client. Reason 0x00 (and every 3.1.1 DISCONNECT) removes the will without
 * publishing it (v5 [MQTT-3.14.4-3] [MQTT-3.1.2-10], v3.1.1 [MQTT-3.1.2-10] [MQTT-3.14.4-3]);
 * 0x04 keeps it so it is published. v5 may change the Session Expiry Interval, except from 0
 * (a protocol error, v5 3.14.2.2.2).
 */
import { ProtocolViolationError } from '../../core/errors.js'
import type { DisconnectPacket } from '../../protocol/packets.js'
import type { Connection } from '../connection.js'
import type { ConnectionState } from '../connection-state.js'

type Connected = Extract<ConnectionState, { phase: 'Connected' }>

export function handleDisconnect (conn: Connection, state: Connected, packet: DisconnectPacket): void {
  const cs = state.cs
  const reason = packet.reasonCode ?? 0
  const expiry = packet.properties?.sessionExpiryInterval
  if (expiry !== undefined) {
    if (cs.expiryInterval === 0 && expiry !== 0) {
      throw new ProtocolViolationError('DISCONNECT cannot set a Session Expiry Interval when CONNECT had 0')
    }
    cs.expiryInterval = expiry
  }
  if (reason !== 0x04) cs.will = undefined
  state.normalDisconnect = true
  conn.close()
}
