/**
 * Chaos: persistent-session clients (5.0 and 3.1.1) reach an in-process broker on the durable
 * store through a proxy that cuts their connections at random byte offsets (mostly inside a
 * packet) and delays their traffic; they reconnect and resume. The seed is printed; FAULT_SEED
 * replays a run.
 */
import test from 'ava'
import { formatChaos, runChaos } from './chaos-run.js'
import { seedFromEnv } from './rng.js'

test('v5 [MQTT-4.3.3-10] [MQTT-4.4.0-1] [MQTT-4.6.0-5] [MQTT-4.6.0-6] v3.1.1 [MQTT-4.3.3-2] [MQTT-4.4.0-1] [MQTT-4.6.0-5] [MQTT-4.6.0-6] through ~100 connection cuts: QoS 2 exactly once, QoS 1 at least once, QoS 0 at most once, first deliveries in publish order per topic', async t => {
  t.timeout(120_000)
  const seed = seedFromEnv()
  t.log(`seed ${seed} (replay with FAULT_SEED=${seed})`)
  const report = await runChaos({
    seed, publishers: 3, subscribers: 2, messagesPerPublisher: 800, window: 16, meanBytesToCut: 16 * 1024, stallMs: 10_000, capMs: 90_000
  })
  const text = formatChaos(report)
  t.log(text)
  console.log(text)
  const v = report.verdict
  t.is(report.wedged, '')
  t.is(v.lost, 0, 'every acknowledged QoS 1/2 message reaches every subscriber')
  t.is(v.duplicatesQos2, 0, 'no QoS 2 message is delivered twice')
  t.is(v.duplicatesQos0, 0, 'no QoS 0 message is delivered twice')
  t.is(v.orderViolations, 0, 'per publisher and topic, first deliveries keep the publish order')
  t.is(v.unknown, 0)
  t.is(report.sessionsLost, 0, 'every reconnection resumed its session')
  t.is(report.publishFailures, 0)
  t.is(report.queueFullRefused, 0, 'no copy was dropped by a full queue (which would hide a loss)')
  t.is(v.acknowledged[1], v.published[1], 'every QoS 1 message got its PUBACK')
  t.is(v.acknowledged[2], v.published[2], 'every QoS 2 message got its PUBREC')
  t.true(report.cuts >= 50, `the proxy cut ${report.cuts} connections`)
  t.deepEqual(report.errors, [])
})
