/**
 * Transports are byte pipes: every one yields node Duplex streams plus what is known of the peer.
 * Nothing here knows MQTT.
 */
import type { Duplex } from 'node:stream'

export interface PeerInfo {
  readonly remoteAddress?: string
  readonly certificate?: Record<string, unknown>
}

export type ConnectionHandler = (stream: Duplex, peer: PeerInfo) => void

export interface BoundListener {
  readonly protocol: 'mqtt' | 'mqtts' | 'ws' | 'wss'
  readonly host: string
  readonly port: number
  close (): Promise<void>
}
