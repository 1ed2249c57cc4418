/**
 * fan-in (N publishers -> 1 subscriber), fan-out (1 publisher -> N subscribers) and the fixed-rate
 * latency run (1 -> 1): publishers publish for `durationMs` under their windows, then the load
 * waits (bounded) for everything outstanding. The measured window starts after `warmupMs` and
 * ends at the last receipt; lost and duplicated count over the whole run.
 */
import { performance } from 'node:perf_hooks'
import type { ScenarioResult, ScenarioSpec } from '../lib/types.js'
import { PublishTemplate } from './codec.js'
import { coarseCpuNote, connectClient, connectMany, disconnectAll, sleep, snapshot, waitUntil, windowFigures, type Snapshot } from './common.js'
import { LatencySamples, Publisher, Receipts } from './flow.js'

export async function runFlow (spec: ScenarioSpec): Promise<ScenarioResult> {
  const notes: string[] = []
  const latencyRun = spec.scenario === 'latency'
  const publisherCount = spec.scenario === 'fanin' ? spec.publishers : 1
  const subscriberCount = spec.scenario === 'fanout' ? spec.subscribers : 1
  const base = `bench/${spec.runId}`

  const subs = await connectMany(spec, `${spec.runId}-sub`, subscriberCount, 50)
  if (subs.failures.length > 0) throw new Error(`${subs.failures.length} subscribers failed to connect: ${subs.failures[0] ?? ''}`)
  const receipts = subs.clients.map(() => new Receipts())
  const latency = new LatencySamples()
  const publishers: Publisher[] = []
  let deliveries = 0

  subs.clients.forEach((client, index) => {
    const mine = receipts[index] as Receipts
    client.onPublish = (buf, payloadStart) => {
      deliveries++
      const publisherId = buf.readUInt32BE(payloadStart)
      mine.record(publisherId, buf.readUInt32BE(payloadStart + 4))
      if (latencyRun) latency.add(performance.now() - buf.readDoubleBE(payloadStart + 8))
      publishers[publisherId]?.delivered()
    }
  })
  for (const client of subs.clients) {
    const granted = await client.subscribe([`${base}/+`], spec.qos)
    if (granted[0] !== spec.qos) notes.push(`subscription granted 0x${(granted[0] ?? -1).toString(16)} for QoS ${spec.qos}`)
  }

  for (let i = 0; i < publisherCount; i++) {
    const client = await connectClient(spec, `${spec.runId}-pub-${i}`)
    const template = new PublishTemplate(`${base}/${i}`, spec.qos, false, spec.level, i, spec.payloadBytes)
    publishers.push(new Publisher(client, template, spec.qos, spec.window, subscriberCount))
    if (spec.qos > 0 && client.receiveMaximum < spec.window) notes.push(`broker Receive Maximum ${client.receiveMaximum} < window ${spec.window}`)
  }
  await sleep(50)

  const started = performance.now()
  let rateTimer: NodeJS.Timeout | undefined
  const firstPublisher = publishers[0] as Publisher
  if (latencyRun) {
    firstPublisher.sendTime = (seq) => started + seq * 1000 / spec.rate
    firstPublisher.allowance = 1
    rateTimer = setInterval(() => {
      firstPublisher.allowance = Math.floor((performance.now() - started) * spec.rate / 1000) + 1
      firstPublisher.pump()
    }, 1)
  }
  const stallTimer = setInterval(() => {
    const now = performance.now()
    for (const publisher of publishers) publisher.checkStall(now, 1000)
  }, 100)
  for (const publisher of publishers) publisher.start()

  let windowStart: Snapshot | undefined
  const warmup = setTimeout(() => {
    windowStart = snapshot(spec.brokerPid, deliveries)
    latency.recording = true
  }, spec.warmupMs)
  await sleep(spec.durationMs)
  for (const publisher of publishers) publisher.stop()
  if (rateTimer !== undefined) clearInterval(rateTimer)
  clearTimeout(warmup)
  const start = windowStart ?? snapshot(spec.brokerPid, deliveries)

  const published = publishers.reduce((sum, p) => sum + p.sent, 0)
  const expected = published * subscriberCount
  const ending = await waitUntil(
    () => receipts.every((r) => r.unique >= published) && publishers.every((p) => p.outstanding === 0),
    { timeoutMs: spec.drainTimeoutMs, idleMs: 1000, progress: () => deliveries + publishers.reduce((sum, p) => sum + p.completed, 0) }
  )
  clearInterval(stallTimer)
  const end = snapshot(spec.brokerPid, deliveries)
  const lastReceipt = Math.max(...receipts.map((r) => r.lastAt))
  notes.push(...coarseCpuNote(start, end))
  if (ending !== 'done') notes.push(`drain ended by ${ending}: ${publishers.reduce((sum, p) => sum + p.outstanding, 0)} unacknowledged by the broker`)
  const stalls = publishers.reduce((sum, p) => sum + p.stalls, 0)
  if (stalls > 0) notes.push(`${stalls} end-to-end window stalls released`)
  const refused = publishers.reduce((sum, p) => sum + p.refused, 0)
  if (refused > 0) notes.push(`${refused} publications refused by the broker`)
  const closed = [...subs.clients, ...publishers.map((p) => p.client)].filter((c) => c.closed).length
  if (closed > 0) notes.push(`${closed} clients closed by the broker during the run`)

  await disconnectAll([...publishers.map((p) => p.client), ...subs.clients])
  const unique = receipts.reduce((sum, r) => sum + r.unique, 0)
  const figures = windowFigures(start, end, Math.max(lastReceipt, start.at))
  const summary = latency.summary()
  return {
    ...figures,
    published,
    expected,
    delivered: deliveries,
    lost: Math.max(0, expected - unique),
    duplicated: receipts.reduce((sum, r) => sum + r.duplicated, 0),
    ...(summary === undefined ? {} : { latency: summary }),
    notes
  }
}
