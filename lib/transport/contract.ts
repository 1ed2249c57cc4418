/**
 * Transports are byte pipes: every one yields a ByteStream plus what is known of the peer.
 * Nothing here knows MQTT.
 */

export interface PeerInfo {
  readonly remoteAddress?: string
  readonly certificate?: Record<string, unknown>
}

/** Where a ByteStream delivers what it reads. */
export interface StreamSink {
  /** Bytes arrived. The chunk is the reader's to keep. */
  streamData (chunk: Buffer): void
  /**
   * The stream is gone: the peer closed it (no error) or it failed. Called at most once, and
   * not after the sink's owner called `destroy` itself.
   */
  streamEnded (error: Error | undefined): void
}

/**
 * The few operations the broker needs of a connection's byte stream: what node Duplex streams
 * offer (adapted by `fromDuplex`) and what a bare libuv TCP handle can do without one
 * (`raw-tcp.ts`), which costs a fraction of a `net.Socket` per connection.
 */
export interface ByteStream {
  /** Starts reading into `sink`. Called once. */
  attach (sink: StreamSink): void
  /** Stops reading until `resume` (backpressure). */
  pause (): void
  resume (): void
  /** Writes from here until `uncork` are sent together. */
  cork (): void
  uncork (): void
  write (chunk: Buffer): void
  /** Sends what is buffered, then closes. Reading stops; a peer that never reads is cut off. */
  end (): void
  /** Closes now, dropping what is buffered. */
  destroy (): void
  /** Bytes accepted by `write` but not yet handed to the kernel. */
  readonly pendingBytes: number
}

export type ConnectionHandler = (stream: ByteStream, peer: PeerInfo) => void

export interface BoundListener {
  readonly protocol: 'mqtt' | 'mqtts' | 'ws' | 'wss'
  readonly host: string
  readonly port: number
  close (): Promise<void>
}
