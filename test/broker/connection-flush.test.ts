/**
 * Connection: the writes of a turn reach the stream together, between one cork and one uncork.
 * No duration is measured: what is checked is how many flushes a burst of writes costs, which is
 * what a regression in the write path changes (each flush is a writev and, on loopback, a read
 * for the peer).
 */
import test from 'ava'
import { setImmediate as nextMacrotask } from 'node:timers/promises'
import { Connection } from '../../lib/broker/connection.js'
import { KeepAliveWatch } from '../../lib/broker/keep-alive.js'
import { ManualClock } from '../../lib/core/clock.js'
import { encode } from '../../lib/protocol/index.js'
import type { Packet } from '../../lib/protocol/packets.js'
import type { ByteStream, StreamSink } from '../../lib/transport/contract.js'

/** Records the writes between each cork and uncork: one entry per flush. */
class RecordingStream implements ByteStream {
  sink: StreamSink | undefined
  readonly flushes: number[] = []
  #pending = 0
  #corked = false
  pendingBytes = 0
  attach (sink: StreamSink): void { this.sink = sink }
  pause (): void {}
  resume (): void {}
  cork (): void { this.#corked = true }
  uncork (): void { this.#corked = false; this.flushes.push(this.#pending); this.#pending = 0 }
  write (): void {
    if (!this.#corked) this.flushes.push(1)
    else this.#pending++
  }

  end (): void {}
  destroy (): void {}
}

const PINGREQ = Buffer.from([0xc0, 0x00])
const CONNECT = encode({ type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clientId: 'c', clean: true, keepAlive: 0 }, 4)

/** Answers each PINGREQ with a PINGRESP. */
const pong = (connection: Connection, packet: Packet): void => { if (packet.type === 'pingreq') connection.send({ type: 'pingresp' }) }

function connectionWith (handle: (connection: Connection, packet: Packet) => void | Promise<void>): { connection: Connection, stream: RecordingStream } {
  const stream = new RecordingStream()
  const clock = new ManualClock(0)
  const connection = new Connection(stream, {}, { packet: handle, closed: () => {} }, {
    clock,
    maxPacketSize: 1024,
    keepAlive: new KeepAliveWatch(clock)
  })
  stream.sink?.streamData(CONNECT)
  return { connection, stream }
}

test('the answers to every packet of one read go out in one flush, as the read returns', (t) => {
  const seen: number[] = []
  const { stream } = connectionWith((connection, packet) => {
    if (packet.type !== 'pingreq') return
    pong(connection, packet)
    seen.push(stream.flushes.length)
  })
  stream.sink?.streamData(Buffer.concat([PINGREQ, PINGREQ, PINGREQ, PINGREQ, PINGREQ]))
  t.deepEqual(seen, [0, 0, 0, 0, 0], 'nothing is flushed while the read is handled')
  t.deepEqual(stream.flushes, [5])
})

test('writes made by a chain of promise continuations (a store commit releasing copies) go out in one flush', async (t) => {
  const { connection, stream } = connectionWith(() => {})
  // As a session's serial runner does after a durable write: each copy is sent from its own
  // continuation, each continuation queued by the one before.
  let step = Promise.resolve()
  for (let i = 0; i < 8; i++) step = step.then(() => { connection.send({ type: 'pingresp' }) })
  await step
  await nextMacrotask()
  t.deepEqual(stream.flushes, [8])
})

test('the writes of separate turns (a continuation, then two reads) get separate flushes', async (t) => {
  const { connection, stream } = connectionWith(pong)
  await Promise.resolve().then(() => { connection.send({ type: 'pingresp' }) })
  await nextMacrotask()
  stream.sink?.streamData(PINGREQ)
  await nextMacrotask()
  stream.sink?.streamData(Buffer.concat([PINGREQ, PINGREQ]))
  await nextMacrotask()
  t.deepEqual(stream.flushes, [1, 1, 2])
})

test('a read that makes other connections write (a PUBLISH routed to subscribers) flushes each of them once', (t) => {
  const subscribers = [connectionWith(() => {}), connectionWith(() => {})]
  const { stream } = connectionWith((connection, packet) => {
    if (packet.type !== 'pingreq') return
    pong(connection, packet)
    for (const s of subscribers) { s.connection.send({ type: 'pingresp' }); s.connection.send({ type: 'pingresp' }) }
  })
  stream.sink?.streamData(Buffer.concat([PINGREQ, PINGREQ]))
  t.deepEqual(stream.flushes, [2])
  for (const s of subscribers) t.deepEqual(s.stream.flushes, [4])
})
