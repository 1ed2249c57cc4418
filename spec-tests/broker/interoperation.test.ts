/**
 * MQTT 3.1.1 section 7 where it can be observed: the broker serves a third-party conformant
 * client (MQTT.js) over TCP and over WebSocket with nothing but the specification.
 */
import test from 'ava'
import mqtt from 'mqtt'
import { createBroker } from '../../lib/broker/index.js'

async function roundTrip (url: string, protocolVersion: 4 | 5): Promise<string> {
  const sub = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 0 })
  const pub = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 0 })
  try {
    await sub.subscribeAsync('interop/#', { qos: 1 })
    const got = new Promise<string>(resolve => sub.once('message', (topic, payload) => resolve(`${topic}=${payload.toString()}`)))
    await pub.publishAsync('interop/a', 'plain mqtt', { qos: 1 })
    return await got
  } finally {
    await sub.endAsync()
    await pub.endAsync()
  }
}

test('v3.1.1 [MQTT-7.1.1-1] [MQTT-7.0.0-2] a standard client interoperates over TCP and WebSocket without any extension', async t => {
  const broker = createBroker({ sysInterval: 0 })
  try {
    const tcp = await broker.listen({ port: 0, host: '127.0.0.1' })
    const ws = await broker.listenWebSocket({ port: 0, host: '127.0.0.1' })
    for (const v of [4, 5] as const) {
      t.is(await roundTrip(`mqtt://127.0.0.1:${tcp.port}`, v), 'interop/a=plain mqtt')
      t.is(await roundTrip(`ws://127.0.0.1:${ws.port}`, v), 'interop/a=plain mqtt')
    }
  } finally {
    await broker.close()
  }
})
