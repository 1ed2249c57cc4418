/**
 * The TCP listener's byte streams, on bare libuv handles ('raw') and on net.Socket ('net'):
 * the same behaviour from both, checked against a plain node:net client on loopback.
 */
import test from 'ava'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { listenTcp } from '../../lib/transport/tcp.js'
import { rawTcpBinding } from '../../lib/transport/raw-tcp.js'
import type { BoundListener, ByteStream, PeerInfo } from '../../lib/transport/contract.js'

interface Accepted {
  readonly stream: ByteStream
  readonly peer: PeerInfo
  readonly chunks: Buffer[]
  /** Resolves with the error (or undefined) the stream ended with. */
  readonly ended: Promise<Error | undefined>
  endedCalls: number
}

async function setup (sockets: 'raw' | 'net'): Promise<{ listener: BoundListener, client: Socket, accepted: Accepted }> {
  let resolveAccepted: (a: Accepted) => void = () => {}
  const acceptedP = new Promise<Accepted>((resolve) => { resolveAccepted = resolve })
  const listener = await listenTcp(0, '127.0.0.1', (stream, peer) => {
    let resolveEnded: (e: Error | undefined) => void = () => {}
    const a: Accepted = { stream, peer, chunks: [], ended: new Promise((resolve) => { resolveEnded = resolve }), endedCalls: 0 }
    stream.attach({
      streamData: (chunk) => { a.chunks.push(chunk) },
      streamEnded: (error) => { a.endedCalls++; resolveEnded(error) }
    })
    resolveAccepted(a)
  }, { sockets })
  const client = connect(listener.port, '127.0.0.1')
  await once(client, 'connect')
  return { listener, client, accepted: await acceptedP }
}

async function until (check: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function readAll (client: Socket): Promise<Buffer> {
  const parts: Buffer[] = []
  client.on('data', (d: Buffer) => parts.push(d))
  await once(client, 'end')
  return Buffer.concat(parts)
}

test('raw TCP handles are available on this node (else the listener silently serves net.Socket)', (t) => {
  t.not(rawTcpBinding(), undefined)
})

for (const mode of ['raw', 'net'] as const) {
  test(`${mode}: bytes both ways, corked writes arrive whole and in order, peer address known`, async (t) => {
    const { listener, client, accepted } = await setup(mode)
    t.is(accepted.peer.remoteAddress, '127.0.0.1')
    client.write(Buffer.from('hello'))
    await until(() => Buffer.concat(accepted.chunks).toString() === 'hello')
    const got: Buffer[] = []
    client.on('data', (d: Buffer) => got.push(d))
    accepted.stream.cork()
    for (let i = 0; i < 100; i++) accepted.stream.write(Buffer.from(`${i},`))
    accepted.stream.uncork()
    accepted.stream.write(Buffer.from('end'))
    const expected = Array.from({ length: 100 }, (_, i) => `${i},`).join('') + 'end'
    await until(() => Buffer.concat(got).toString() === expected)
    t.pass()
    client.destroy()
    await accepted.ended
    await listener.close()
  })

  test(`${mode}: a write the kernel cannot take at once is pending until sent, and end() flushes all of it before closing`, async (t) => {
    const { listener, client, accepted } = await setup(mode)
    client.pause()
    const big = Buffer.alloc(8 * 1024 * 1024, 7)
    accepted.stream.write(big)
    t.true(accepted.stream.pendingBytes > 0, 'more than the socket buffers hold stays pending')
    accepted.stream.write(Buffer.from([1, 2, 3]))
    accepted.stream.end()
    const all = readAll(client)
    client.resume()
    const received = await all
    t.is(received.length, big.length + 3)
    t.deepEqual([...received.subarray(received.length - 4)], [7, 1, 2, 3])
    await until(() => accepted.stream.pendingBytes === 0)
    client.destroy()
    await listener.close()
    t.is(accepted.endedCalls, 0, 'the owner ended it: its sink hears nothing')
  })

  test(`${mode}: pause holds back reads until resume`, async (t) => {
    const { listener, client, accepted } = await setup(mode)
    accepted.stream.pause()
    client.write(Buffer.from('abc'))
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.is(accepted.chunks.length, 0)
    accepted.stream.resume()
    await until(() => Buffer.concat(accepted.chunks).toString() === 'abc')
    client.destroy()
    await accepted.ended
    await listener.close()
  })

  test(`${mode}: the peer closing ends the stream without an error, once`, async (t) => {
    const { listener, client, accepted } = await setup(mode)
    client.end()
    t.is(await accepted.ended, undefined)
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.is(accepted.endedCalls, 1)
    await listener.close()
  })

  test(`${mode}: a reset by the peer ends the stream with the system error`, async (t) => {
    const { listener, client, accepted } = await setup(mode)
    client.resetAndDestroy()
    const error = await accepted.ended
    // A reset may arrive as ECONNRESET, or as a plain close when the kernel reports EOF first.
    if (error !== undefined) t.is((error as NodeJS.ErrnoException).code, 'ECONNRESET')
    t.is(accepted.endedCalls, 1)
    await listener.close()
  })

  test(`${mode}: destroy closes the connection at once; the peer sees it end`, async (t) => {
    const { listener, client, accepted } = await setup(mode)
    client.on('error', () => {})
    const closed = once(client, 'close')
    client.resume()
    accepted.stream.destroy()
    await closed
    t.is(accepted.endedCalls, 0)
    accepted.stream.write(Buffer.from('ignored after destroy'))
    accepted.stream.end()
    await listener.close()
  })
}

test('raw: end() cuts off a peer that neither reads nor closes after the grace period', async (t) => {
  const { listener, client, accepted } = await setup('raw')
  client.on('error', () => {})
  client.pause()
  const size = 16 * 1024 * 1024
  accepted.stream.write(Buffer.alloc(size))
  accepted.stream.end()
  await new Promise((resolve) => setTimeout(resolve, 2500))
  // Our side is closed by now: once the client reads again it finds the connection cut short.
  let received = 0
  client.on('data', (d: Buffer) => { received += d.length })
  const closed = once(client, 'close')
  client.resume()
  await closed
  t.true(received < size, `received ${received} of ${size} bytes`)
  await listener.close()
})
