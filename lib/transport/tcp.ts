import { createServer } from 'node:net'
import type { BoundListener, ConnectionHandler } from './contract.js'
import { fromDuplex } from './duplex-stream.js'
import { acceptRaw } from './raw-tcp.js'

export interface TcpSocketOptions {
  /**
   * 'raw' (the default) serves connections on bare libuv TCP handles (`raw-tcp.ts`) where node
   * allows it; 'net' uses `net.Socket`, as every node does.
   */
  readonly sockets?: 'raw' | 'net'
  /** Accept failures (too many open files and the like); the listener goes on. */
  readonly onError?: (error: Error) => void
}

/**
 * Listens on TCP; each accepted connection goes to `onConnection` (Nagle off: MQTT packets are
 * small). Accepted connections belong to the handler: closing the listener stops accepting and
 * leaves them to it (the broker ends its connections before it closes its listeners).
 */
export async function listenTcp (port: number, host: string, onConnection: ConnectionHandler, options: TcpSocketOptions = {}): Promise<BoundListener> {
  const server = createServer(socket => {
    socket.setNoDelay(true)
    const remoteAddress = socket.remoteAddress
    onConnection(fromDuplex(socket), remoteAddress === undefined ? {} : { remoteAddress })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  const onError = options.onError ?? (() => {})
  server.on('error', onError)
  if (options.sockets !== 'net') {
    acceptRaw(server, (stream, remoteAddress) => {
      onConnection(stream, remoteAddress === undefined ? {} : { remoteAddress })
    }, onError)
  }
  const address = server.address()
  const bound = typeof address === 'object' && address !== null ? address.port : port
  return {
    protocol: 'mqtt',
    host,
    port: bound,
    close: async () => { await new Promise<void>(resolve => server.close(() => resolve())) }
  }
}
