/**
 * Small assertions shared by the broker spec tests: how a refused or failed connection must
 * look on the wire. (No statement IDs in string literals here: titles live in the test files.)
 */
import type { ExecutionContext } from 'ava'
import type { BrokerOptions } from '../../lib/broker/options.js'
import type { Packet } from '../../lib/protocol/packets.js'
import { startBroker, type RawClient, type TestBroker } from './broker.js'

/** A broker closed when the test ends. */
export async function brokerFor (t: ExecutionContext, options: BrokerOptions = {}): Promise<TestBroker> {
  const b = await startBroker(options)
  t.teardown(() => b.close())
  return b
}

/** Waits for the broker to close the connection; returns every packet it sent first. */
export async function closedAfter (c: RawClient, ms?: number): Promise<Packet[]> {
  await c.closed(ms)
  return [...c.queued]
}

/** The connection closed and the broker sent nothing at all first. */
export async function closedSilently (t: ExecutionContext, c: RawClient, what: string): Promise<void> {
  const sent = await closedAfter(c)
  t.deepEqual(sent.map(p => p.type), [], `${what}: the broker sent packets before closing`)
}

/**
 * The connection closed without being accepted: either nothing was sent, or (where the version
 * allows one) a single CONNACK with a reason code of 0x80 or more / a non-zero return code.
 */
export async function closedUnaccepted (t: ExecutionContext, c: RawClient, what: string): Promise<void> {
  const sent = await closedAfter(c)
  if (sent.length === 0) { t.pass(); return }
  t.is(sent.length, 1, `${what}: more than one packet before closing`)
  const p = sent[0] as Packet
  t.is(p.type, 'connack', `${what}: sent ${p.type}`)
  if (p.type === 'connack') {
    t.false(p.sessionPresent, `${what}: refusing CONNACK with Session Present 1`)
    if (c.version === 5) t.true(p.reasonCode >= 0x80, `${what}: CONNACK reason ${p.reasonCode}`)
    else t.not(p.reasonCode, 0, `${what}: CONNACK return code 0`)
  }
}

/**
 * A connected v5 client is told why with a DISCONNECT of reason >= 0x80 (the `reason` given,
 * when given) and then the connection closes; a 3.1.1 client's connection just closes.
 */
export async function disconnectedWith (t: ExecutionContext, c: RawClient, reason: number | undefined, what: string): Promise<void> {
  const sent = await closedAfter(c)
  if (c.version !== 5) { t.deepEqual(sent.map(p => p.type), [], `${what}: 3.1.1 has no server DISCONNECT`); return }
  t.is(sent.length, 1, `${what}: expected exactly one DISCONNECT, got ${sent.map(p => p.type).join(', ')}`)
  const d = sent[0]
  t.is(d?.type, 'disconnect', what)
  if (d?.type !== 'disconnect') return
  const code = d.reasonCode ?? 0
  t.true(code >= 0x80, `${what}: DISCONNECT reason 0x${code.toString(16)}`)
  if (reason !== undefined) t.is(code, reason, `${what}: DISCONNECT reason 0x${code.toString(16)}`)
}

/** The two protocol levels these tests run for, with their names in messages. */
export const LEVELS = [4, 5] as const
