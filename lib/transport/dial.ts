/**
 * The client side of the byte pipes: opens a TCP, TLS or WebSocket connection to a URL and
 * resolves with a Duplex once it is open. Knows nothing of MQTT beyond the WebSocket subprotocol.
 */
import { connect as netConnect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import { WebSocket, createWebSocketStream } from 'ws'

export type DialProtocol = 'tcp' | 'tls' | 'ws' | 'wss'

export interface DialTlsOptions {
  readonly ca?: string | Buffer
  readonly cert?: string | Buffer
  readonly key?: string | Buffer
  /** Default true: the server certificate must verify. */
  readonly rejectUnauthorized?: boolean
  readonly servername?: string
}

export interface DialTarget {
  readonly protocol: DialProtocol
  readonly host: string
  readonly port: number
  /** WebSocket path, default `/mqtt`. */
  readonly path?: string
  readonly tls?: DialTlsOptions
  /** WebSocket subprotocol, default `mqtt`. */
  readonly wsProtocol?: string
}

/** URL schemes and what they mean; the default ports are the IANA ones (1883, 8883) and 80/443. */
const SCHEMES: Readonly<Record<string, { protocol: DialProtocol, port: number }>> = {
  'mqtt:': { protocol: 'tcp', port: 1883 },
  'tcp:': { protocol: 'tcp', port: 1883 },
  'mqtts:': { protocol: 'tls', port: 8883 },
  'ssl:': { protocol: 'tls', port: 8883 },
  'tls:': { protocol: 'tls', port: 8883 },
  'ws:': { protocol: 'ws', port: 80 },
  'wss:': { protocol: 'wss', port: 443 }
}

/** Parses `mqtt://host:port`, `mqtts://`, `tcp://`, `ws://host/path`, `wss://`; throws RangeError for anything else. */
export function parseDialUrl (url: string): DialTarget & { readonly username?: string, readonly password?: string } {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new RangeError(`not a URL: '${url}'`)
  }
  const scheme = SCHEMES[parsed.protocol]
  if (scheme === undefined) throw new RangeError(`unsupported URL scheme '${parsed.protocol}' (use mqtt, mqtts, tcp, ws or wss)`)
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  if (host === '') throw new RangeError(`no host in '${url}'`)
  const port = parsed.port === '' ? scheme.port : Number(parsed.port)
  const ws = scheme.protocol === 'ws' || scheme.protocol === 'wss'
  return {
    protocol: scheme.protocol,
    host,
    port,
    ...(ws ? { path: parsed.pathname === '/' || parsed.pathname === '' ? '/mqtt' : parsed.pathname + parsed.search } : {}),
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) })
  }
}

/** Opens the connection; rejects with the socket's error (ECONNREFUSED, a TLS failure, an HTTP refusal). */
export async function dial (target: DialTarget): Promise<Duplex> {
  switch (target.protocol) {
    case 'tcp': return await opened(netConnect({ host: target.host, port: target.port }), 'connect')
    case 'tls': {
      const tls = target.tls ?? {}
      const socket = tlsConnect({
        host: target.host,
        port: target.port,
        servername: tls.servername ?? (isIp(target.host) ? '' : target.host),
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
        ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        ...(tls.cert === undefined ? {} : { cert: tls.cert }),
        ...(tls.key === undefined ? {} : { key: tls.key })
      })
      return await opened(socket, 'secureConnect')
    }
    case 'ws':
    case 'wss': return await dialWebSocket(target)
  }
}

function isIp (host: string): boolean { return /^[\d.]+$/.test(host) || host.includes(':') }

async function opened (socket: Socket, event: 'connect' | 'secureConnect'): Promise<Duplex> {
  return await new Promise<Duplex>((resolve, reject) => {
    const onError = (error: Error): void => { socket.destroy(); reject(error) }
    socket.once('error', onError)
    socket.once(event, () => {
      socket.off('error', onError)
      socket.setNoDelay(true)
      resolve(socket)
    })
  })
}

async function dialWebSocket (target: DialTarget): Promise<Duplex> {
  const scheme = target.protocol === 'wss' ? 'wss' : 'ws'
  const host = target.host.includes(':') ? `[${target.host}]` : target.host
  const tls = target.tls ?? {}
  const ws = new WebSocket(`${scheme}://${host}:${target.port}${target.path ?? '/mqtt'}`, target.wsProtocol ?? 'mqtt', {
    ...(scheme === 'wss'
      ? {
          rejectUnauthorized: tls.rejectUnauthorized ?? true,
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
          ...(tls.cert === undefined ? {} : { cert: tls.cert }),
          ...(tls.key === undefined ? {} : { key: tls.key })
        }
      : {})
  })
  return await new Promise<Duplex>((resolve, reject) => {
    const onError = (error: Error): void => { ws.terminate(); reject(error) }
    ws.once('error', onError)
    ws.once('open', () => {
      ws.off('error', onError)
      resolve(createWebSocketStream(ws))
    })
  })
}
