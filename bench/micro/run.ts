/**
 * `npm run bench:micro`: the micro-benchmarks, each in its own Node process (so one case's JIT
 * state and garbage do not colour the next): PUBLISH encode/decode (qosmos vs plain
 * mqtt-packet), topic tree matching with 100,000 subscriptions, QoS transitions per second.
 * They print figures only; nothing is asserted about time. MICRO_MS sets the time per case.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const scripts = ['publish-codec.ts', 'topic-tree.ts', 'qos-transitions.ts']
const only = process.argv.slice(2)
let failed = 0
for (const script of scripts) {
  if (only.length > 0 && !only.some((name) => script.startsWith(name))) continue
  console.log(`\n=== ${script} ===`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', `${here}${script}`], { stdio: 'inherit', env: process.env })
  if (result.status !== 0) {
    failed++
    console.error(`${script} failed (${result.status ?? result.signal ?? '?'})`)
  }
}
process.exitCode = failed > 0 ? 1 : 0
