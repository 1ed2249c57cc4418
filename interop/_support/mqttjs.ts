/** MQTT.js (npm `mqtt`) as an interop peer, run in the test process. */
import { createRequire } from 'node:module'
import mqtt, { type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt'
import type { Version } from './matrix.js'
import { messageWaiter, missingReason, type PeerDriver, type Received, type Scope } from './peer.js'

type UserPropertyMap = Record<string, string | string[]>

/** Pairs to MQTT.js's object form; a repeated key becomes an array (so pairs must be grouped by key). */
function toMap (pairs: ReadonlyArray<readonly [string, string]>): UserPropertyMap {
  const out: UserPropertyMap = {}
  for (const [k, v] of pairs) {
    const prev = out[k]
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  return out
}

function fromMap (map: UserPropertyMap | undefined): Array<[string, string]> {
  if (map === undefined) return []
  return Object.entries(map).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map(x => [k, x] as [string, string]))
}

/**
 * Connects; `prepare` runs before any packet is read, so messages a resumed session sends right
 * after the CONNACK are not emitted before a listener exists.
 */
async function open (scope: Scope, port: number, version: Version, extra: IClientOptions, prepare: (c: MqttClient) => void = () => {}): Promise<{ client: MqttClient, sessionPresent: boolean }> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: version,
    reconnectPeriod: 0,
    connectTimeout: 10000,
    keepalive: 30,
    ...extra
  })
  scope.defer(() => client.end(true))
  prepare(client)
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', ack => { client.off('error', reject); resolve(ack) })
    client.once('error', reject)
  })
  return { client, sessionPresent: connack.sessionPresent }
}

const { version: mqttVersion } = createRequire(import.meta.url)('mqtt/package.json') as { version: string }

export const mqttjs: PeerDriver = {
  id: 'mqttjs',
  label: 'MQTT.js',
  tool: `MQTT.js ${mqttVersion}`,
  versions: [4, 5],
  missing: missingReason('mqttjs', () => undefined), // a devDependency: there after npm ci

  async publish (scope, port, version, m) {
    const { client } = await open(scope, port, version, { clientId: `mqttjs-pub-${process.pid}-${Math.random().toString(16).slice(2, 8)}` })
    const properties = version === 5
      ? {
          ...(m.userProperties === undefined ? {} : { userProperties: toMap(m.userProperties) }),
          ...(m.responseTopic === undefined ? {} : { responseTopic: m.responseTopic }),
          ...(m.correlationData === undefined ? {} : { correlationData: Buffer.from(m.correlationData) }),
          ...(m.messageExpiryInterval === undefined ? {} : { messageExpiryInterval: m.messageExpiryInterval })
        }
      : undefined
    // publishAsync resolves on PUBACK (QoS 1), PUBCOMP (QoS 2) or once written (QoS 0).
    await client.publishAsync(m.topic, m.payload, { qos: m.qos, retain: m.retain ?? false, ...(properties === undefined ? {} : { properties }) })
    await client.endAsync()
  },

  async subscribe (scope, port, version, o) {
    const received: Received[] = []
    const waiter = messageWaiter(received, () => '(MQTT.js)')
    const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
      const p = packet.properties
      received.push({
        topic,
        payload: payload.toString('utf8'),
        qos: packet.qos,
        retain: packet.retain,
        userProperties: fromMap(p?.userProperties),
        responseTopic: p?.responseTopic,
        correlationData: p?.correlationData?.toString('utf8'),
        messageExpiryInterval: p?.messageExpiryInterval
      })
      waiter.notify()
    }
    const { client, sessionPresent } = await open(scope, port, version, {
      clientId: o.clientId,
      clean: o.cleanStart ?? true,
      ...(version === 5 && o.sessionExpiry !== undefined ? { properties: { sessionExpiryInterval: o.sessionExpiry } } : {}),
      ...(o.will === undefined ? {} : { will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: o.will.qos, retain: o.will.retain ?? false } })
    }, c => { c.on('message', onMessage) })
    const granted = await client.subscribeAsync(Object.fromEntries(o.filters.map(f => [f, { qos: o.qos }])))
    for (const g of granted) if (g.qos > 2) throw new Error(`subscription refused: ${JSON.stringify(g)}`)
    if ((o.unsubscribe ?? []).length > 0) await client.unsubscribeAsync([...(o.unsubscribe ?? [])])
    if (o.thenDisconnect === true) await client.endAsync()
    return {
      sessionPresent,
      received,
      waitFor: waiter.waitFor,
      async crash () {
        client.stream.destroy() // no DISCONNECT: the broker sees the socket close
        client.end(true)
        await Promise.resolve()
      }
    }
  }
}
