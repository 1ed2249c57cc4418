/** The public face of a broker (implemented in broker.ts). */
import type { Duplex } from 'node:stream'
import type { TcpListenOptions, TlsListenOptions, WebSocketListenOptions } from './options.js'

export interface ListenerAddress {
  readonly protocol: 'mqtt' | 'mqtts' | 'ws' | 'wss'
  readonly host: string
  readonly port: number
}

export interface Broker {
  /** Listens for MQTT over TCP. Resolves with the bound address (port 0 picks a free port). */
  listen (options?: TcpListenOptions): Promise<ListenerAddress>
  /** Listens for MQTT over TLS. */
  listenTls (options: TlsListenOptions): Promise<ListenerAddress>
  /** Listens for MQTT over WebSocket (subprotocol `mqtt`), on its own port or an existing server. */
  listenWebSocket (options?: WebSocketListenOptions): Promise<ListenerAddress>
  /** Serves one MQTT connection over any duplex byte stream. */
  handle (stream: Duplex, info?: { remoteAddress?: string, certificate?: Record<string, unknown> }): void
  /** Stops listening, disconnects clients (v5 reason 0x8B) and flushes persistence. */
  close (): Promise<void>
  readonly addresses: readonly ListenerAddress[]
  /** Settles once the state in the store (sessions, subscriptions, queues, retained) is restored; rejects with a StorageError if it cannot be read. */
  readonly ready: Promise<void>
}
