/**
 * `npm run soak`: the fault-injection scenarios of test/fault at a size large enough for the
 * claim, then RELIABILITY.md with the figures.
 *   A. chaos: persistent clients through the chaos proxy (connection cuts at random byte
 *      offsets, delays) to an in-process broker on lmdb: >= 100,000 messages, >= 1,000 cuts;
 *   B. broker kills: the broker process SIGKILLed and restarted on its data directory >= 100 times.
 * Both run side by side. FAULT_SEED=n replays a run's generators; `--quick` runs a small version.
 */
import { cpus, loadavg, totalmem, type } from 'node:os'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatChaos, runChaos, type ChaosReport } from '../test/fault/chaos-run.js'
import { formatKill, runBrokerKill, type KillReport } from '../test/fault/kill-run.js'
import { seedFromEnv } from '../test/fault/rng.js'

const USAGE = `usage: npm run soak [-- --quick]
  full size: >= 100,000 messages through >= 1,000 connection cuts, and 100 broker SIGKILLs
  (about 6 minutes); --quick: a small version. Either rewrites RELIABILITY.md.
  FAULT_SEED=n replays the generators of a run.`
const unknown = process.argv.slice(2).filter((arg) => arg !== '--quick')
if (unknown.length > 0) {
  const help = unknown.includes('--help') || unknown.includes('-h')
  if (help) console.log(USAGE)
  else console.error(`soak: unknown option ${unknown[0] as string} (try --help)`)
  process.exit(help ? 0 : 2)
}
const quick = process.argv.includes('--quick')
const seed = seedFromEnv()
const log = (line: string): void => { console.log(line) }
const machine = `${type()} ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average at start ${loadavg().map(l => l.toFixed(1)).join(' ')}`
log(`soak: seed ${seed} (replay with FAULT_SEED=${seed}), ${quick ? 'quick' : 'full'} size, ${machine}`)
const started = new Date()

const [chaos, kill] = await Promise.all([
  runChaos({
    seed, publishers: 4, subscribers: 2, messagesPerPublisher: quick ? 500 : 25_000, window: 32,
    meanBytesToCut: quick ? 16 * 1024 : 48 * 1024, stallMs: 30_000, capMs: 3 * 3600_000, log, noSync: true, maxQueuedMessages: 1_000_000
  }).then(r => { log(formatChaos(r)); return r }),
  runBrokerKill({
    seed: (seed ^ 0x5eed) >>> 0, publishers: 3, subscribers: 2, kills: quick ? 3 : 100, upMs: [300, 2500], stallMs: 30_000, capMs: 3600_000, log
  }).then(r => { log(formatKill(r)); return r })
])

writeFileSync(join(import.meta.dirname, '..', 'RELIABILITY.md'), render(chaos, kill))
log('RELIABILITY.md written')
const failed = chaos.wedged !== '' || kill.wedged !== '' || chaos.verdict.lost + chaos.verdict.duplicatesQos2 + chaos.verdict.duplicatesQos0 + chaos.verdict.orderViolations > 0 ||
  kill.verdict.lost + kill.verdict.duplicatesQos2 > 0
process.exitCode = failed ? 1 : 0

function render (a: ChaosReport, b: KillReport): string {
  const va = a.verdict
  const vb = b.verdict
  const row = (name: string, x: string, y: string): string => `| ${name} | ${x} | ${y} |`
  return `# Reliability

What the fault-injection runs of \`test/fault/\` establish about qosmos's delivery guarantees,
with the figures of the last \`npm run soak\` (written by \`scripts/soak.ts\`${quick ? ', quick size' : ''}).

## Method

**A. Connection chaos.** An in-process broker (\`createBroker\` on the lmdb store in a temp
directory) and persistent-session clients (Clean Start 0 / Clean Session 0, Session Expiry 3600;
5.0 and 3.1.1 side by side) that reach it only through a seeded chaos TCP proxy
(\`test/fault/chaos-proxy.ts\`). Each direction of each proxied connection gets a byte budget drawn
from the seed; the chunk that crosses it is forwarded up to that byte and both sockets are then
closed (FIN or RST), so most cuts land inside an MQTT packet. Chunks are also delayed (order kept).
The clients (\`test/fault/fault-client.ts\`) are built on the library's own \`Session\`,
\`PacketDecoder\` and \`encode\`, not MQTT.js: after every cut they reconnect, resume the session and
resend unfinished PUBLISH/PUBREL. Publishers send numbered messages at QoS 0, 1 and 2, each QoS
on its own topic; subscribers hold \`fault/#\` at QoS 2.

The store runs without the sync at commit here (\`noSync\`): this scenario never kills the
process, so that changes only the speed, not what the broker does. The broker's per-session
queue bound is raised to 1,000,000 messages: publishers outrun subscribers whose connections keep
being cut, and a copy refused by a full queue is dropped by design (the publisher is still
acknowledged), a configured limit rather than a fault; the table counts such refusals.

**B. Broker kills.** The CLI broker as a child process (\`--data-dir\` on a temp directory, queue bound raised as in A), the
same kind of clients streaming QoS 1 and 2 messages, and the broker killed with SIGKILL at random
moments and restarted on the same directory; the clients follow it to its new port.

**Checks** (\`test/fault/ledger.ts\`), per subscriber and per publisher stream:
- *lost*: a QoS 1/2 message whose PUBACK/PUBREC reached the publisher and that never reached the subscriber;
- *QoS 2 duplicates*: a QoS 2 message handed to the subscriber's application twice (exactly once);
- *QoS 0 duplicates*: a QoS 0 message delivered twice (at most once); QoS 0 losses are allowed;
- *QoS 1 duplicates*: counted, allowed (at least once);
- *order violations*: a QoS 1/2 message delivered for the first time after a later one of the
  same publisher and topic (v5 4.6 / [MQTT-4.6.0-5] [MQTT-4.6.0-6]).

## Results (${started.toISOString().slice(0, 16).replace('T', ' ')} UTC)

Machine: ${machine}. Seed ${seed} (scenario B uses seed ${b.seed}).

| | A. connection chaos | B. broker SIGKILL |
|---|---|---|
${row('messages published', `${va.published[0] + va.published[1] + va.published[2]} (QoS 0/1/2: ${va.published.join('/')})`, `${vb.published[1] + vb.published[2]} (QoS 1/2: ${vb.published[1]}/${vb.published[2]})`)}
${row('acknowledged to publishers (QoS 1/2)', `${va.acknowledged[1] + va.acknowledged[2]}`, `${vb.acknowledged[1] + vb.acknowledged[2]}`)}
${row('deliveries to subscribers', `${va.deliveries}`, `${vb.deliveries}`)}
${row('faults', `${a.cuts} connection cuts (${a.midPacketCuts} inside a packet), ${a.reconnects} reconnects`, `${b.kills} SIGKILLs, ${b.reconnects} reconnects`)}
${row('**lost** (acknowledged, never delivered)', `${va.lost}`, `${vb.lost} (QoS 1: ${vb.lostQos1}, QoS 2: ${vb.lostQos2})`)}
${row('**QoS 2 duplicates**', `${va.duplicatesQos2}`, `${vb.duplicatesQos2}`)}
${row('QoS 0 duplicates', `${va.duplicatesQos0}`, 'n/a')}
${row('QoS 1 duplicates (allowed)', `${va.duplicatesQos1}`, `${vb.duplicatesQos1}`)}
${row('**order violations**', `${va.orderViolations}`, `${vb.orderViolations}`)}
${row('copies refused by a full subscriber queue', `${a.queueFullRefused}`, 'n/a')}
${row('sessions lost by the broker', `${a.sessionsLost}`, `${b.sessionsLost}`)}
${row('wedged', a.wedged === '' ? 'no' : a.wedged.slice(0, 200), b.wedged === '' ? 'no' : b.wedged.slice(0, 200))}
${row('duration', `${Math.round(a.durationMs / 1000)} s`, `${Math.round(b.durationMs / 1000)} s`)}

${[...va.problems.slice(0, 5).map(p => `- A: ${p}`), ...vb.problems.slice(0, 5).map(p => `- B: ${p}`)].join('\n')}

## Found and fixed by these runs

- **lmdb store close crashed the process** (\`lib/persistence/lmdb.ts\`): a session step still
  reading while \`close()\` ran left lmdb a read-transaction reset timer on a closed environment,
  an uncaught exception. Now \`close()\` refuses new calls first and lets the timer run
  (\`test/fault/lmdb-close.test.ts\`).
- **Queue-full drops were invisible** (\`lib/session/pending-queue.ts\`): a routed copy refused by
  a full subscriber queue was not counted in the session stats (\`test/fault/queue-full-count.test.ts\`).
  The first full-size run lost tens of thousands of acknowledged copies this way under the default
  10,000-message bound, with no trace in the stats.

## QoS 2 crash window (found by scenario B, fixed)

The first full runs lost QoS 2 messages acknowledged with PUBREC (994 of 99,858 over 100 kills
in the last run before the fix; QoS 1 never): when the broker process died between storing the
publisher's inbound flow (AwaitingPubrel) and storing the routed copies, the restarted broker
held the flow but no copy, answered the publisher's resent PUBLISH (DUP) as a duplicate
(v5 [MQTT-4.3.3-10]) and never routed it. The broker now issues the flow record and the routed
copies in the same turn, so lmdb writes them in one transaction (commit 5f29a0d);
\`test/fault/qos2-crash-window.test.ts\` reproduces the window deterministically, and
\`test/fault/broker-kill.test.ts\` now asserts no QoS 2 loss. The figures above are from a run
made after the fix: ${b.verdict.lostQos2 === 0 ? 'no QoS 2 message was lost' : `${b.verdict.lostQos2} QoS 2 copies were still lost`}.

## Earlier full runs of scenario B (history)

- Before commit 5f29a0d: 994 QoS 2 copies lost over 100 kills (the crash window above).
- One run made while the broker's source was being edited (it restarts from source at every
  kill) came back once **without any of its five sessions** (3,045 lost, 31 QoS 2 duplicates,
  4,421 order violations, all after that one restart). Not seen again in four later runs of
  25 to 100 kills; \`test/fault/broker-kill.test.ts\` asserts \`sessions lost 0\`.
- One run with the CLI's default queue bound (10,000 messages per session, not raised as in A)
  lost 14,059 acknowledged copies (QoS 1 and 2) and had 1 order violation. Scenario B does not
  count queue-full refusals, so drops by the documented queue policy (a full queue refuses the
  copy and the publisher is still acknowledged) could not be told apart from a durability loss
  there. Scenario B now runs the broker with the same raised bound as A
  (\`test/fault/broker-process.ts\`), and early store calls now keep list order even behind a
  clean-start barrier (a crash could otherwise keep a later flow and not an earlier one: the
  likely source of that order violation). The table above is the first full run with both.

## Reproduce

    npm run soak                  # full size (about 6 minutes here), rewrites this file
    npm run soak -- --quick       # a small run
    FAULT_SEED=${seed} npm run soak   # the generators of this run (event-loop timing still varies)
    npx ava test/fault/           # CI size: chaos (~100 cuts) and broker kills (a few SIGKILLs)
`
}
