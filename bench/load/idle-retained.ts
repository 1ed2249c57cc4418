/**
 * idle: N connections that only CONNECT (keep alive 60 s) and stay; the broker's VmRSS before
 * and after gives its memory per connection from a fresh start. Then N more on top, twice: the
 * RSS growth from 2N to 3N gives the marginal memory per connection, without the fixed costs
 * paid once. (From N to 2N is not enough: a Node broker's young generation may finish growing
 * during the second batch rather than the first, a fixed cost that would then be counted there.)
 * retained: R retained messages stored (QoS 1, windowed, all acknowledged), then ONE new client
 * subscribes to a wildcard covering them; the time until it holds all R is measured.
 */
import { performance } from 'node:perf_hooks'
import { openFilesLimit, processRssKiB } from '../lib/proc.js'
import type { ScenarioResult, ScenarioSpec } from '../lib/types.js'
import type { LoadClient } from './client.js'
import { PublishTemplate } from './codec.js'
import { coarseCpuNote, connectClient, connectMany, disconnectAll, sleep, snapshot, waitUntil, windowFigures } from './common.js'
import { Publisher, Receipts } from './flow.js'

const FD_HEADROOM = 200

export async function runIdle (spec: ScenarioSpec): Promise<ScenarioResult> {
  const notes: string[] = []
  let wanted = spec.connections
  let marginal = true
  const limits = [openFilesLimit('self'), openFilesLimit(spec.brokerPid)]
  for (const limit of limits) {
    if (limit === undefined) continue
    if (limit - FD_HEADROOM < wanted) {
      wanted = Math.max(1, limit - FD_HEADROOM)
      notes.push(`open-files limit ${limit} allows only ${wanted} of ${spec.connections} connections (raise ulimit -n)`)
    }
    if (limit - FD_HEADROOM < 3 * wanted && marginal) {
      marginal = false
      notes.push(`open-files limit ${limit} leaves no room for ${2 * wanted} more: marginal memory not measured (raise ulimit -n)`)
    }
  }
  await sleep(300)
  const before = snapshot(spec.brokerPid, 0)
  const rssBefore = processRssKiB(spec.brokerPid) ?? Number.NaN
  const { clients, failures } = await connectMany(spec, `${spec.runId}-idle`, wanted, 100)
  const connectedAt = performance.now()
  if (failures.length > 0) notes.push(`${failures.length} connections failed: ${failures[0] ?? ''}`)
  await sleep(1000)
  const after = snapshot(spec.brokerPid, clients.length)
  const rssAfter = processRssKiB(spec.brokerPid) ?? Number.NaN
  notes.push(...coarseCpuNote(before, after))
  // The second and third batches: KiB per connection of each, from the RSS growth it caused.
  const batches: Array<{ readonly clients: LoadClient[], readonly kib: number }> = []
  let rssLast = rssAfter
  for (const name of ['second', 'third'] as const) {
    if (!marginal) break
    const more = await connectMany(spec, `${spec.runId}-idle-${name}`, wanted, 100)
    if (more.failures.length > 0) notes.push(`${more.failures.length} of the ${name} ${wanted} connections failed: ${more.failures[0] ?? ''}`)
    await sleep(1000)
    const rss = processRssKiB(spec.brokerPid) ?? Number.NaN
    batches.push({ clients: more.clients, kib: more.clients.length > 0 ? (rss - rssLast) / more.clients.length : Number.NaN })
    rssLast = rss
  }
  const all = [...clients, ...batches.flatMap(b => b.clients)]
  const stillOpen = all.filter((c) => !c.closed).length
  if (stillOpen < all.length) notes.push(`${all.length - stillOpen} idle connections closed by the broker`)
  await disconnectAll(all)

  const figures = windowFigures(before, after, connectedAt)
  const connected = clients.length
  return {
    ...figures,
    published: 0,
    expected: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    idle: {
      connections: connected,
      failed: failures.length,
      rssBeforeKiB: rssBefore,
      rssAfterKiB: rssAfter,
      kibPerConnection: connected > 0 ? (rssAfter - rssBefore) / connected : Number.NaN,
      secondBatchKibPerConnection: batches[0]?.kib ?? Number.NaN,
      marginalKibPerConnection: batches[1]?.kib ?? Number.NaN,
      connectsPerSec: figures.deliveredPerSec,
      brokerCpuUsPerConnection: figures.brokerCpuUsPerDelivery
    },
    deliveredPerSec: Number.NaN,
    brokerCpuUsPerDelivery: Number.NaN,
    notes
  }
}

export async function runRetained (spec: ScenarioSpec): Promise<ScenarioResult> {
  const notes: string[] = []
  const base = `bench/${spec.runId}/r`
  const total = spec.retained

  const storer = await connectClient(spec, `${spec.runId}-store`)
  const builder = {
    build: (packetId: number, seq: number, sentAt: number): Buffer =>
      new PublishTemplate(`${base}/${seq}`, 1, true, spec.level, 0, spec.payloadBytes).build(packetId, seq, sentAt)
  }
  const publisher = new Publisher(storer, builder, 1, spec.window, 0)
  publisher.allowance = total
  const storeStart = performance.now()
  publisher.start()
  const stored = await waitUntil(() => publisher.completed >= total, { timeoutMs: spec.drainTimeoutMs * 3, idleMs: 5000, progress: () => publisher.completed })
  if (stored !== 'done') throw new Error(`storing retained messages ended by ${stored} after ${publisher.completed} of ${total}`)
  notes.push(`stored ${total} retained at ${Math.round(total / (performance.now() - storeStart) * 1000)} msg/s (QoS 1, window ${spec.window})`)
  await disconnectAll([storer])
  await sleep(200)

  const subscriber = await connectClient(spec, `${spec.runId}-late`)
  const receipts = new Receipts()
  subscriber.onPublish = (buf, payloadStart) => { receipts.record(buf.readUInt32BE(payloadStart), buf.readUInt32BE(payloadStart + 4)) }
  const start = snapshot(spec.brokerPid, 0)
  void subscriber.subscribe([`${base}/#`], spec.qos).catch((err: unknown) => notes.push(`subscribe failed: ${String(err)}`))
  const ending = await waitUntil(() => receipts.unique >= total, { timeoutMs: spec.drainTimeoutMs * 3, idleMs: 2000, progress: () => receipts.received })
  const end = snapshot(spec.brokerPid, receipts.received)
  notes.push(...coarseCpuNote(start, end))
  if (ending !== 'done') notes.push(`receiving ended by ${ending}`)
  await disconnectAll([subscriber])

  const figures = windowFigures(start, end, receipts.lastAt > 0 ? receipts.lastAt : end.at)
  return {
    ...figures,
    published: total,
    expected: total,
    delivered: receipts.received,
    lost: Math.max(0, total - receipts.unique),
    duplicated: receipts.duplicated,
    retained: { stored: publisher.completed, received: receipts.unique, timeToAllMs: receipts.unique >= total ? receipts.lastAt - start.at : Number.NaN },
    notes
  }
}
