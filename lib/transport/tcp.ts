import { createServer, type Socket } from 'node:net'
import type { BoundListener, ConnectionHandler } from './contract.js'

/** Listens on TCP; each accepted socket goes to `onConnection` (Nagle off: MQTT packets are small). */
export async function listenTcp (port: number, host: string, onConnection: ConnectionHandler): Promise<BoundListener> {
  const sockets = new Set<Socket>()
  const server = createServer(socket => {
    socket.setNoDelay(true)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    const remoteAddress = socket.remoteAddress
    onConnection(socket, remoteAddress === undefined ? {} : { remoteAddress })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  const bound = typeof address === 'object' && address !== null ? address.port : port
  return {
    protocol: 'mqtt',
    host,
    port: bound,
    close: async () => {
      await new Promise<void>(resolve => server.close(() => resolve()))
      for (const s of sockets) s.destroy()
    }
  }
}
