/**
 * Throws random bytes and mutations of valid packet streams at a running broker over a few
 * hundred connections, and checks that
 *  - the broker stays up and two bystander clients (3.1.1 and 5) keep working throughout;
 *  - the broker itself closes every fuzzed connection: each stream ends with more zero bytes
 *    than the broker's Maximum Packet Size, which no valid input can absorb (a frame waiting for
 *    its body is completed by them, after which a first byte of 0 is a reserved packet type);
 *  - whatever it sent first is well framed, and a DISCONNECT (v5), when it sends one, carries a
 *    reason code of 0x80 or more and is the last thing on the connection.
 * Seeded (QOSMOS_FUZZ_SEED to replay a run); the seed is in the log of a failing run.
 */
import test from 'ava'
import { connect, type Socket } from 'node:net'
import { encode } from '../../lib/protocol/index.js'
import type { Packet, ProtocolVersion } from '../../lib/protocol/packets.js'
import { connectPacket, startBroker, type RawClient } from '../../spec-tests/_harness/broker.js'

const MAX_PACKET_SIZE = 2048
const CONNECTIONS = 320
const BATCH = 32

/** mulberry32: small, seedable, good enough for picking mutations. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

type Rand = () => number
const int = (r: Rand, n: number): number => Math.floor(r() * n)
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)] as T
const randomBytes = (r: Rand, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(r, 256)))

/** A valid stream: CONNECT then a few packets a client may send. */
function validStream (r: Rand, v: ProtocolVersion, n: number): Buffer {
  const v5 = v === 5
  const connect = connectPacket(v, {
    clientId: `fuzz-${n}`,
    keepAlive: int(r, 3) === 0 ? 0 : 30,
    ...(r() < 0.3 ? { username: 'u', password: Buffer.from('p') } : {}),
    ...(r() < 0.3 ? { will: { topic: `fuzz/will/${n}`, payload: Buffer.from('w'), qos: int(r, 3) as 0 | 1 | 2, retain: r() < 0.5 } } : {}),
    ...(v5 && r() < 0.5 ? { properties: { sessionExpiryInterval: int(r, 100), receiveMaximum: 1 + int(r, 10), topicAliasMaximum: int(r, 4), userProperties: [['k', 'v']] } } : {})
  })
  const packets: Packet[] = [connect]
  const more: Array<() => Packet> = [
    () => ({ type: 'publish', topic: `fuzz/t/${int(r, 4)}`, payload: randomBytes(r, int(r, 20)), qos: 0, retain: r() < 0.2, dup: false }),
    () => ({ type: 'publish', topic: `fuzz/t/${int(r, 4)}`, payload: randomBytes(r, int(r, 20)), qos: (1 + int(r, 2)) as 1 | 2, retain: false, dup: false, packetId: 1 + int(r, 5) }),
    () => ({ type: 'subscribe', packetId: 1 + int(r, 5), subscriptions: [{ topicFilter: pick(r, ['fuzz/#', 'fuzz/+/1', '$share/g/fuzz/t/#', 'fuzz/t/2']), qos: int(r, 3) as 0 | 1 | 2 }] }),
    () => ({ type: 'unsubscribe', packetId: 1 + int(r, 5), topicFilters: ['fuzz/#'] }),
    () => ({ type: 'puback', packetId: 1 + int(r, 5) }),
    () => ({ type: 'pubrec', packetId: 1 + int(r, 5) }),
    () => ({ type: 'pubrel', packetId: 1 + int(r, 5) }),
    () => ({ type: 'pubcomp', packetId: 1 + int(r, 5) }),
    () => ({ type: 'pingreq' }),
    () => (v5 ? { type: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'X' } } : { type: 'pingreq' })
  ]
  for (let i = int(r, 5); i > 0; i--) packets.push(pick(r, more)())
  return Buffer.concat(packets.map(p => encode(p, v)))
}

/** One of the mutations, applied 1 to 3 times; sometimes plain noise. */
function mutate (r: Rand, input: Buffer): Buffer {
  if (r() < 0.1) return randomBytes(r, 1 + int(r, 64))
  let b = Buffer.from(input)
  for (let k = 1 + int(r, 3); k > 0; k--) {
    const at = int(r, Math.max(1, b.length))
    switch (int(r, 7)) {
      case 0: { const c = Buffer.from(b); c[at] = (c[at] ?? 0) ^ (1 << int(r, 8)); b = c; break }
      case 1: { const c = Buffer.from(b); c[at] = int(r, 256); b = c; break }
      case 2: b = b.subarray(0, at); break
      case 3: b = Buffer.concat([b.subarray(0, at), randomBytes(r, 1 + int(r, 8)), b.subarray(at)]); break
      case 4: b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(r, 8))]); break
      case 5: { const end = Math.min(b.length, at + 1 + int(r, 16)); b = Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]); break }
      default: { const c = Buffer.from(b); if (at + 1 < c.length) c[at + 1] = pick(r, [0x00, 0x7f, 0x80, 0xff]); b = c }
    }
  }
  return b
}

interface Outcome { readonly closed: boolean, readonly received: Buffer }

/** Writes `bytes` in a few chunks, then the zero padding; resolves when the broker closes (or not). */
function fuzzOne (port: number, r: Rand, bytes: Buffer): Promise<Outcome> {
  return new Promise(resolve => {
    const chunks: Buffer[] = []
    const socket: Socket = connect({ port, host: '127.0.0.1' })
    let settled = false
    const done = (closed: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ closed, received: Buffer.concat(chunks) })
    }
    const timer = setTimeout(() => { done(false) }, 4000)
    socket.on('data', c => chunks.push(c))
    socket.on('error', () => { /* a reset from the broker is a close */ })
    socket.on('close', () => { done(true) })
    socket.on('connect', () => {
      let pos = 0
      while (pos < bytes.length) {
        const n = 1 + int(r, 64)
        socket.write(bytes.subarray(pos, pos + n))
        pos += n
      }
      socket.write(Buffer.alloc(MAX_PACKET_SIZE + 8))
    })
  })
}

/** Problems with what the broker sent: bad framing, a DISCONNECT below 0x80 or not last. */
function checkReplies (received: Buffer): string | undefined {
  let i = 0
  let sawDisconnect = false
  while (i < received.length) {
    if (sawDisconnect) return 'bytes after a DISCONNECT'
    const first = received[i] as number
    let len = 0
    let mul = 1
    let j = i + 1
    for (let k = 0; ; k++) {
      const b = received[j++]
      if (b === undefined || k === 4) return `a frame cut short at byte ${i}`
      len += (b & 0x7f) * mul
      mul *= 128
      if ((b & 0x80) === 0) break
    }
    if (j + len > received.length) return `a frame cut short at byte ${i}`
    const type = first >> 4
    if (![2, 3, 4, 5, 6, 7, 9, 11, 13, 14, 15].includes(type)) return `a packet of type ${type}, which a server never sends`
    if (type === 14) {
      sawDisconnect = true
      const reason = len === 0 ? 0 : received[j] as number
      if (reason < 0x80) return `DISCONNECT with reason 0x${reason.toString(16)}`
    }
    i = j + len
  }
  return undefined
}

async function roundTrip (sub: RawClient, pub: RawClient, nonce: string): Promise<boolean> {
  pub.send({ type: 'publish', topic: `sentinel/${sub.version}`, payload: Buffer.from(nonce), qos: 1, retain: false, dup: false, packetId: 1 + (Number(nonce.split('-')[1]) % 60000) })
  await pub.expect('puback')
  for (;;) {
    const p = await sub.next()
    if (p.type === 'publish') {
      if (p.packetId !== undefined) sub.send({ type: 'puback', packetId: p.packetId })
      if (p.payload.toString() === nonce) return true
    }
  }
}

test('random and mutated input over hundreds of connections: the broker closes each bad connection properly, stays up, and bystanders keep working', async t => {
  const seed = Number(process.env.QOSMOS_FUZZ_SEED ?? 0x5eed1234)
  t.log(`seed ${seed} (QOSMOS_FUZZ_SEED=${seed} replays this run)`)
  const r = prng(seed)
  const b = await startBroker({ maxPacketSize: MAX_PACKET_SIZE, sysInterval: 0 })
  t.teardown(() => b.close())
  const bystanders: Array<[RawClient, RawClient]> = []
  for (const v of [4, 5] as const) {
    const sub = await b.connected(v, { clientId: `sentinel-sub-${v}`, keepAlive: 0 })
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: `sentinel/${v}`, qos: 1 }] })
    await sub.expect('suback')
    bystanders.push([sub, await b.connected(v, { clientId: `sentinel-pub-${v}`, keepAlive: 0 })])
  }
  const problems: string[] = []
  let notClosed = 0
  let answered = 0
  let n = 0
  for (let batch = 0; n < CONNECTIONS; batch++) {
    const runs: Array<Promise<void>> = []
    for (let i = 0; i < BATCH && n < CONNECTIONS; i++, n++) {
      const v = pick(r, [4, 5] as const)
      const input = mutate(r, validStream(r, v, n))
      const id = n
      runs.push(fuzzOne(b.port, r, input).then(({ closed, received }) => {
        if (!closed) { notClosed++; problems.push(`#${id} (level ${v}): still open after the padding; sent ${input.toString('hex').slice(0, 120)}`) }
        if (received.length > 0) answered++
        const bad = checkReplies(received)
        if (bad !== undefined) problems.push(`#${id} (level ${v}): ${bad}; sent ${input.toString('hex').slice(0, 120)}; got ${received.toString('hex').slice(0, 120)}`)
      }))
    }
    await Promise.all(runs)
    for (const [sub, pub] of bystanders) t.true(await roundTrip(sub, pub, `batch-${batch}-${sub.version}`), `bystander level ${sub.version} after batch ${batch}`)
  }
  t.deepEqual(problems.slice(0, 10), [], `${problems.length} problems`)
  t.is(notClosed, 0)
  // The mutations were not all rejected at the first byte: many got answers (CONNACK and more).
  t.true(answered > CONNECTIONS / 10, `${answered} connections got an answer`)
  // Still up: a new client connects.
  const late = await b.connected(5)
  late.send({ type: 'pingreq' })
  await late.expect('pingresp')
})
