/**
 * MQTT over WebSocket (section 6) against the broker's WebSocket listener, with the `ws` package
 * as client: subprotocol `mqtt`, binary frames only, packets independent of frame boundaries.
 */
import test from 'ava'
import WebSocket from 'ws'
import { createBroker } from '../../lib/broker/index.js'
import { encode, PacketDecoder } from '../../lib/protocol/index.js'
import type { Packet } from '../../lib/protocol/packets.js'
import { connectPacket } from '../_harness/broker.js'

interface WsClient {
  readonly ws: WebSocket
  readonly packets: Packet[]
  readonly frames: Array<{ binary: boolean }>
  next: () => Promise<Packet>
  closed: () => Promise<number>
}

async function open (port: number, protocols: string[] = ['mqtt'], version: 4 | 5 = 5): Promise<WsClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, protocols)
  const decoder = new PacketDecoder({ protocolVersion: version })
  const packets: Packet[] = []
  const frames: Array<{ binary: boolean }> = []
  let wake: (() => void) | undefined
  let closeCode: number | undefined
  ws.on('message', (data: Buffer, binary: boolean) => {
    frames.push({ binary })
    const { packets: decoded, error } = decoder.push(data)
    if (error !== undefined) throw error
    packets.push(...decoded)
    wake?.()
  })
  ws.on('close', (code: number) => { closeCode = code; wake?.() })
  ws.on('error', () => {})
  await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  const wait = async <T>(take: () => T | undefined, what: string): Promise<T> => {
    const deadline = Date.now() + 2000
    for (;;) {
      const v = take()
      if (v !== undefined) return v
      if (Date.now() > deadline) throw new Error(`no ${what}`)
      await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, 50) })
    }
  }
  return {
    ws,
    packets,
    frames,
    next: () => wait(() => packets.shift(), 'packet'),
    closed: () => wait(() => closeCode ?? (ws.readyState === WebSocket.CLOSED ? 1006 : undefined), 'close')
  }
}

async function withBroker (fn: (port: number) => Promise<void>): Promise<void> {
  const broker = createBroker({ sysInterval: 0 })
  try {
    const { port } = await broker.listenWebSocket({ port: 0, host: '127.0.0.1' })
    await fn(port)
  } finally {
    await broker.close()
  }
}

test('v3.1.1 [MQTT-6.0.0-4] v5 [MQTT-6.0.0-4] the broker selects the "mqtt" WebSocket subprotocol', async t => {
  await withBroker(async port => {
    const c = await open(port, ['mqtt'])
    t.is(c.ws.protocol, 'mqtt')
    c.ws.close()
    const d = await open(port, ['other', 'mqtt'])
    t.is(d.ws.protocol, 'mqtt')
    d.ws.close()
  })
})

test('v3.1.1 [MQTT-6.0.0-2] v5 [MQTT-6.0.0-2] packets may be split over WebSocket frames, and several may share one frame', async t => {
  await withBroker(async port => {
    const c = await open(port)
    const connect = encode(connectPacket(5, { clientId: 'ws-split' }), 5)
    // CONNECT in three frames.
    c.ws.send(connect.subarray(0, 3))
    c.ws.send(connect.subarray(3, 9))
    c.ws.send(connect.subarray(9))
    const ack = await c.next()
    t.is(ack.type, 'connack')
    // SUBSCRIBE, PUBLISH and PINGREQ in one frame.
    c.ws.send(Buffer.concat([
      encode({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'ws/#', qos: 1 }] }, 5),
      encode({ type: 'publish', topic: 'elsewhere/a', payload: Buffer.from('over ws'), qos: 1, retain: false, dup: false, packetId: 2 }, 5),
      encode({ type: 'pingreq' }, 5)
    ]))
    const types: string[] = []
    for (let i = 0; i < 3; i++) types.push((await c.next()).type)
    t.deepEqual(types, ['suback', 'puback', 'pingresp'])
    c.ws.close()
  })
})

test('v3.1.1 [MQTT-6.0.0-1] v5 [MQTT-6.0.0-1] the broker sends binary frames only, and a text frame from the client closes the connection', async t => {
  await withBroker(async port => {
    const c = await open(port, ['mqtt'], 4)
    c.ws.send(encode(connectPacket(4, { clientId: 'ws-text' }), 4))
    t.is((await c.next()).type, 'connack')
    c.ws.send(encode({ type: 'pingreq' }, 4))
    t.is((await c.next()).type, 'pingresp')
    t.true(c.frames.length > 0 && c.frames.every(f => f.binary))
    c.ws.send(encode({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'txt/#', qos: 0 }] }, 4))
    t.is((await c.next()).type, 'suback')
    // A QoS 0 PUBLISH whose bytes are all ASCII, sent as a text frame: the connection must
    // close, and the message must not be routed (it would come back to this subscriber).
    const bytes = encode({ type: 'publish', topic: 'txt/a', payload: Buffer.from('text'), qos: 0, retain: false, dup: false }, 4)
    t.true(bytes.every(x => x < 0x80))
    c.ws.send(bytes.toString('ascii'))
    await c.closed()
    t.is(c.packets.filter(p => p.type === 'publish').length, 0)
  })
})
