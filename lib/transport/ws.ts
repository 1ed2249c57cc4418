import { createServer, type Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { BoundListener, ConnectionHandler } from './contract.js'
import { fromDuplex } from './duplex-stream.js'

export interface WsListenOptions {
  readonly port?: number
  readonly host?: string
  readonly server?: HttpServer | HttpsServer
  readonly path?: string
}

/** MQTT over WebSocket: binary frames, subprotocol `mqtt` (and `mqttv3.1` for old clients). */
export async function listenWebSocket (options: WsListenOptions, onConnection: ConnectionHandler): Promise<BoundListener> {
  const own = options.server === undefined
  const server = options.server ?? createServer((_req, res) => { res.writeHead(426).end('MQTT over WebSocket only\n') })
  const wss = new WebSocketServer({
    server,
    ...(options.path === undefined ? {} : { path: options.path }),
    handleProtocols: protocols => protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false
  })
  const sockets = new Set<WebSocket>()
  wss.on('connection', (ws, req) => {
    sockets.add(ws)
    ws.once('close', () => sockets.delete(ws))
    const stream = binaryStream(ws)
    const remoteAddress = req.socket.remoteAddress
    onConnection(fromDuplex(stream), remoteAddress === undefined ? {} : { remoteAddress })
  })
  const host = options.host ?? '0.0.0.0'
  if (own) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, host, () => { server.off('error', reject); resolve() })
    })
  }
  const address = server.address()
  const secure = 'setSecureContext' in server
  return {
    protocol: secure ? 'wss' : 'ws',
    host,
    port: typeof address === 'object' && address !== null ? address.port : options.port ?? 0,
    close: async () => {
      for (const ws of sockets) ws.terminate()
      await new Promise<void>(resolve => wss.close(() => resolve()))
      if (own) await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

/**
 * The WebSocket as the byte stream a connection reads. Binary frames only: a text (or any other
 * data) frame closes the connection before its bytes reach the broker (v3.1.1 and v5
 * [MQTT-6.0.0-1]); frame boundaries mean nothing, the bytes of successive frames simply flow on
 * (v3.1.1 and v5 [MQTT-6.0.0-2]). What goes out is sent as binary frames.
 */
function binaryStream (ws: WebSocket): Duplex {
  const stream = new Duplex({
    read () { if (ws.isPaused) ws.resume() },
    write (chunk: Buffer, _encoding, callback) { ws.send(chunk, { binary: true }, callback) },
    final (callback) { ws.close(); callback() },
    destroy (error, callback) { ws.terminate(); callback(error) }
  })
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) { stream.destroy(); return }
    if (!stream.push(data)) ws.pause()
  })
  ws.once('close', () => { stream.push(null) })
  ws.on('error', (error: Error) => { stream.destroy(error) })
  return stream
}
