import test from 'ava'
import { WebSocketServer } from 'ws'
import { connect } from '../../lib/client/index.js'
import { encode, PacketDecoder } from '../../lib/protocol/index.js'
import type { Packet } from '../../lib/protocol/packets.js'

test('v5 [MQTT-6.0.0-3] [MQTT-6.0.0-1] v3.1.1 [MQTT-6.0.0-3] over WebSocket the client offers the "mqtt" subprotocol and sends binary frames only', async t => {
  for (const version of [5, 4] as const) {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: p => p.has('mqtt') ? 'mqtt' : false })
    await new Promise<void>(resolve => wss.once('listening', () => resolve()))
    const address = wss.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    const offered: string[] = []
    const frames: boolean[] = []
    const packets: Packet[] = []
    let closed: () => void = () => {}
    const serverSawClose = new Promise<void>(resolve => { closed = resolve })
    wss.on('connection', (ws, req) => {
      ws.on('close', () => closed())
      offered.push(String(req.headers['sec-websocket-protocol']))
      const decoder = new PacketDecoder()
      ws.on('message', (data, isBinary) => {
        frames.push(isBinary)
        for (const p of decoder.push(data as Buffer).packets) {
          packets.push(p)
          if (p.type === 'connect') ws.send(encode({ type: 'connack', sessionPresent: false, reasonCode: 0 }, version))
          if (p.type === 'publish' && p.qos === 1) ws.send(encode({ type: 'puback', packetId: p.packetId as number, reasonCode: 0 }, version))
        }
      })
    })
    try {
      const c = await connect(`ws://127.0.0.1:${port}/mqtt`, { protocolVersion: version, reconnect: false })
      await c.publish('ws', 'one', { qos: 1 })
      await c.end()
      await serverSawClose
      t.deepEqual(offered, ['mqtt'])
      t.true(frames.length >= 3)
      t.true(frames.every(b => b), 'every frame is binary')
      t.deepEqual(packets.map(p => p.type), ['connect', 'publish', 'disconnect'])
    } finally {
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>(resolve => wss.close(() => resolve()))
    }
  }
})
