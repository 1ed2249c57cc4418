import test from 'ava'
import { createBroker, createMemoryPair } from '../../lib/broker/index.js'
import { connect } from '../../lib/client/index.js'

/** Publishes 200 QoS 0..2 messages on one topic and collects what comes back, in arrival order. */
async function roundTrip (client: Awaited<ReturnType<typeof connect>>): Promise<string[]> {
  const got: string[] = []
  client.on('message', (_topic: string, payload: Buffer) => { got.push(payload.toString()) })
  await client.subscribe('order/t', { qos: 2 })
  const sent: string[] = []
  for (let i = 0; i < 200; i++) {
    sent.push(`m${i}`)
    await client.publish('order/t', `m${i}`, { qos: (i % 3) as 0 | 1 | 2 })
  }
  for (let i = 0; i < 200 && got.length < sent.length; i++) await new Promise(resolve => setTimeout(resolve, 10))
  return got
}

test('v3.1.1 [MQTT-7.1.2-1] the client runs over ordered, lossless, two-way byte streams: TCP and any duplex, nothing lost or reordered', async t => {
  const broker = createBroker()
  const { port } = await broker.listen({ port: 0, host: '127.0.0.1' })
  try {
    const overTcp = await connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 })
    const tcp = await roundTrip(overTcp)
    await overTcp.end()
    const overStream = await connect(undefined, {
      protocolVersion: 4,
      stream: () => { const [server, client] = createMemoryPair(); broker.handle(server); return client }
    })
    const stream = await roundTrip(overStream)
    await overStream.end()
    const expected = Array.from({ length: 200 }, (_, i) => `m${i}`)
    t.deepEqual(tcp, expected)
    t.deepEqual(stream, expected)
  } finally { await broker.close() }
})
