/**
 * PUBLISH encode and decode: qosmos's codec (lib/protocol: `encode`, `PacketDecoder`, which add
 * validation and conversion to our packet model around mqtt-packet) against plain mqtt-packet.
 * Run: npx tsx bench/micro/publish-codec.ts   (MICRO_MS=2000 for longer runs)
 */
import { generate, parser as mqttParser, type IPublishPacket, type Packet as MqttPacket } from 'mqtt-packet'
import { encode, PacketDecoder } from '../../lib/protocol/index.js'
import type { ProtocolVersion, PublishPacket } from '../../lib/protocol/index.js'
import { keep, printRatios, runCases, type MicroCase } from './harness.js'

const BATCH = 100
const payload = Buffer.alloc(64, 0x61)

interface Variant {
  readonly label: string
  readonly version: ProtocolVersion
  readonly ours: PublishPacket
  readonly theirs: IPublishPacket
}

function variant (label: string, version: ProtocolVersion, qos: 0 | 1 | 2, withProperties: boolean): Variant {
  const base = { topic: 'bench/sensors/42/temperature', payload, qos, retain: false, dup: false }
  const ours: PublishPacket = {
    type: 'publish',
    ...base,
    ...(qos > 0 ? { packetId: 4242 } : {}),
    ...(withProperties ? { properties: { contentType: 'text/plain', messageExpiryInterval: 60, userProperties: [['k', 'v']] } } : {})
  }
  const theirs: IPublishPacket = {
    cmd: 'publish',
    ...base,
    ...(qos > 0 ? { messageId: 4242 } : {}),
    ...(withProperties ? { properties: { contentType: 'text/plain', messageExpiryInterval: 60, userProperties: { k: 'v' } } } : {})
  }
  return { label, version, ours, theirs }
}

const variants: Variant[] = [
  variant('v3.1.1 QoS 0', 4, 0, false),
  variant('v3.1.1 QoS 1', 4, 1, false),
  variant('v5 QoS 1', 5, 1, false),
  variant('v5 QoS 1 + properties', 5, 1, true)
]

const encodeCases: MicroCase[] = []
const decodeCases: MicroCase[] = []
const pairs: Array<[string, string, string]> = []

for (const v of variants) {
  const opts = { protocolVersion: v.version }
  encodeCases.push(
    { name: `encode ${v.label}: qosmos`, fn: () => keep(encode(v.ours, v.version)) },
    { name: `encode ${v.label}: mqtt-packet`, fn: () => keep(generate(v.theirs as MqttPacket, opts)) }
  )
  pairs.push([`encode ${v.label}`, `encode ${v.label}: qosmos`, `encode ${v.label}: mqtt-packet`])

  // A chunk of BATCH back-to-back PUBLISH packets, as a socket delivers them under load.
  const one = generate(v.theirs as MqttPacket, opts)
  const chunk = Buffer.concat(Array.from({ length: BATCH }, () => one))
  const ourDecoder = new PacketDecoder({ protocolVersion: v.version })
  let decoded = 0
  const theirParser = mqttParser(opts)
  theirParser.on('packet', () => { decoded++ })
  decodeCases.push(
    {
      name: `decode ${v.label}: qosmos`,
      opsPerCall: BATCH,
      fn: () => {
        const result = ourDecoder.push(chunk)
        if (result.error !== undefined) throw result.error
        keep(result.packets)
      }
    },
    { name: `decode ${v.label}: mqtt-packet`, opsPerCall: BATCH, fn: () => { theirParser.parse(chunk); keep(decoded) } }
  )
  pairs.push([`decode ${v.label}`, `decode ${v.label}: qosmos`, `decode ${v.label}: mqtt-packet`])
}

const results = [
  ...runCases(`PUBLISH encode (${payload.length} B payload), packets/s`, encodeCases),
  ...runCases(`PUBLISH decode (${payload.length} B payload, ${BATCH} packets per chunk), packets/s`, decodeCases)
]
console.log('\nqosmos / mqtt-packet (higher is faster)')
printRatios(results, pairs)
