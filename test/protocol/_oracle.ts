/** mqtt-packet as the oracle of the codec tests: what its parser makes of our bytes. */
import { parser as mqttParser, type Packet as MqttPacket } from 'mqtt-packet'
import type { ProtocolVersion } from '../../lib/protocol/packets.js'

export function oracleDecode (bytes: Buffer, version: ProtocolVersion): MqttPacket {
  let out: MqttPacket | undefined
  const p = mqttParser({ protocolVersion: version })
  p.on('packet', (packet: MqttPacket) => { out = packet })
  p.on('error', (err: Error) => { throw err })
  p.parse(bytes)
  if (out === undefined) throw new Error('oracle decoded nothing')
  return out
}

/** Bytes of the fixed header: the type byte and the Remaining Length. */
export function headerLength (bytes: Buffer): number {
  let p = 1
  while (((bytes[p++] as number) & 0x80) !== 0);
  return p
}
