/** How each connection's byte stream is opened: dial the URL, or use the given stream (or stream factory). */
import type { Duplex } from 'node:stream'
import { ConnectionLostError, InvalidArgumentError } from '../core/errors.js'
import { dial, parseDialUrl, type DialTarget } from '../transport/dial.js'
import type { ClientOptions } from './options.js'

export interface StreamSource {
  /** The dial target (undefined for a given stream): a Server Reference may change it. */
  target: DialTarget | undefined
  readonly open: () => Promise<Duplex>
}

export function streamSource (url: string | undefined, options: ClientOptions): StreamSource {
  const stream = options.stream
  if (stream !== undefined) return { target: undefined, open: typeof stream === 'function' ? async () => await stream() : once(stream) }
  if (url === undefined) throw new InvalidArgumentError('connect() needs a URL or a `stream` option')
  let parsed: ReturnType<typeof parseDialUrl>
  try { parsed = parseDialUrl(url) } catch (error) { throw new InvalidArgumentError((error as Error).message) }
  const { username: _u, password: _p, ...target } = parsed
  const source: StreamSource = {
    target: {
      ...target,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.wsPath !== undefined && /^wss?:\/\/[^/]+\/?$/.test(url) ? { path: options.wsPath } : {})
    },
    open: async () => await dial(source.target as DialTarget)
  }
  return source
}

/** A single stream: the first connection gets it; a reconnect has nothing to open. */
function once (stream: Duplex): () => Promise<Duplex> {
  let used = false
  return async () => {
    if (used) throw new ConnectionLostError('the given stream is gone; pass `stream` as a function to reconnect')
    used = true
    return stream
  }
}
