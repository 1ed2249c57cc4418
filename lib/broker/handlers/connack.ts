/** Refusing a CONNECT: a CONNACK with the reason (v5) or the nearest 3.1.1 return code, then close. */
import { ConnectionRefusedError } from '../../core/errors.js'
import type { ConnackProperties, ProtocolVersion } from '../../protocol/packets.js'
import { CONNACK_REASON_CODES, connackReturnCodeFor } from '../../protocol/reason-codes.js'
import type { Connection } from '../connection.js'
import type { Refusal } from '../options.js'

/**
 * v5 [MQTT-3.2.2-6]/[MQTT-3.2.2-7]: a refusing CONNACK has Session Present 0 and the connection
 * closes after it; v3.1.1 [MQTT-3.2.2-5]/[MQTT-3.2.2-6]: when no 3.1.1 return code fits, the
 * server closes without a CONNACK.
 */
export function refuseConnect (conn: Connection, version: ProtocolVersion, given: Refusal, problemInfo: boolean): void {
  conn.context = { phase: 'Refused' }
  conn.setProtocolVersion(version)
  // v5 [MQTT-3.2.2-8]: only defined Connect Reason Codes, and a refusal is >= 0x80; anything else
  // a hook returned (0x00 would read as success) goes out as 0x80 Unspecified error.
  const refusal = given.reasonCode >= 0x80 && CONNACK_REASON_CODES.has(given.reasonCode) ? given : { ...given, reasonCode: 0x80 }
  if (version === 5) {
    const properties: ConnackProperties = {
      ...(refusal.reasonString !== undefined && problemInfo ? { reasonString: refusal.reasonString } : {}),
      ...(refusal.serverReference !== undefined ? { serverReference: refusal.serverReference } : {})
    }
    conn.send({ type: 'connack', sessionPresent: false, reasonCode: refusal.reasonCode, ...(Object.keys(properties).length > 0 ? { properties } : {}) })
  } else {
    const code = connackReturnCodeFor(refusal.reasonCode)
    if (code !== undefined) conn.send({ type: 'connack', sessionPresent: false, reasonCode: code })
  }
  conn.close(undefined, new ConnectionRefusedError(refusal.reasonCode, refusal.reasonString === undefined ? {} : { reasonString: refusal.reasonString }))
}
