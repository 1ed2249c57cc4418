import { createServer, type TLSSocket } from 'node:tls'
import type { BoundListener, ConnectionHandler } from './contract.js'
import { fromDuplex } from './duplex-stream.js'

export interface TlsFiles {
  readonly key: string | Buffer
  readonly cert: string | Buffer
  readonly ca?: string | Buffer
  readonly requestCert?: boolean
  readonly rejectUnauthorized?: boolean
}

/** Listens on TLS; the peer certificate, when presented, goes with the connection. */
export async function listenTls (port: number, host: string, files: TlsFiles, onConnection: ConnectionHandler): Promise<BoundListener> {
  const sockets = new Set<TLSSocket>()
  const server = createServer({
    key: files.key,
    cert: files.cert,
    ...(files.ca === undefined ? {} : { ca: files.ca }),
    requestCert: files.requestCert ?? false,
    rejectUnauthorized: files.rejectUnauthorized ?? (files.requestCert ?? false)
  }, socket => {
    socket.setNoDelay(true)
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    const cert = socket.getPeerCertificate()
    const certificate = cert !== null && Object.keys(cert).length > 0 ? cert as unknown as Record<string, unknown> : undefined
    onConnection(fromDuplex(socket), {
      ...(socket.remoteAddress === undefined ? {} : { remoteAddress: socket.remoteAddress }),
      ...(certificate === undefined ? {} : { certificate })
    })
  })
  // A failed handshake must not take the listener down.
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  return {
    protocol: 'mqtts',
    host,
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: async () => {
      await new Promise<void>(resolve => server.close(() => resolve()))
      for (const s of sockets) s.destroy()
    }
  }
}
