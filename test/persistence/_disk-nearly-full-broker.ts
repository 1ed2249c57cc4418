// Child process of lmdb-disk-full.test.ts: a broker on the lmdb store in DIR (a small tmpfs that
// also holds a 1 MiB filler file), with a free-space reserve. A v5 publisher sends QoS 1 retained
// messages larger than an LMDB page (the size whose failed commit on a full disk corrupts lmdb's
// heap) until one is refused; then the filler is deleted and another publisher tries again.
// Prints one JSON line with what happened, then exits: a crash shows as no line.
import { rmSync } from 'node:fs'
import { openLmdbBackend } from '../../lib/persistence/lmdb.js'
import { startBroker } from '../../spec-tests/_harness/broker.js'

const [path, filler] = process.argv.slice(2) as [string, string]
const persistence = await openLmdbBackend({ path, minFreeBytes: 256 * 1024 })
const b = await startBroker({ persistence })
const result = {
  acknowledged: 0,
  refusal: undefined as { type: string, reasonCode?: number } | undefined,
  bystanderServed: false,
  acknowledgedAfterFreeing: 0,
  retainedAfterRestart: 0,
  closeError: undefined as string | undefined
}
const payload = Buffer.alloc(8000, 3)
const fill = async (prefix: string, max: number): Promise<{ acknowledged: number, refusal?: { type: string, reasonCode?: number } }> => {
  const pub = await b.connected(5)
  let acknowledged = 0
  for (let i = 0; i < max; i++) {
    pub.send({ type: 'publish', topic: `${prefix}/${i}`, payload, qos: 1, packetId: (i % 60000) + 1, retain: true, dup: false })
    const answer = await pub.next(5000).catch(() => undefined)
    if (answer?.type === 'puback' && (answer.reasonCode ?? 0) === 0) { acknowledged++; continue }
    return { acknowledged, refusal: answer === undefined ? { type: 'none' } : { type: answer.type, ...('reasonCode' in answer ? { reasonCode: answer.reasonCode } : {}) } }
  }
  return { acknowledged }
}
try {
  const watcher = await b.connected(5)
  const first = await fill('fill', 10000)
  result.acknowledged = first.acknowledged
  result.refusal = first.refusal
  watcher.send({ type: 'pingreq' })
  result.bystanderServed = await watcher.expect('pingresp').then(() => true, () => false)
  rmSync(filler)
  result.acknowledgedAfterFreeing = (await fill('again', 20)).acknowledged
} finally {
  await b.close().catch((e: unknown) => { result.closeError = (e as Error).message })
  await persistence.close().catch(() => {})
}
const reopened = await openLmdbBackend({ path, minFreeBytes: 0 })
result.retainedAfterRestart = (await reopened.restoreRetained()).filter(r => !r.message.topic.startsWith('$SYS/')).length
await reopened.close()
process.stdout.write(`${JSON.stringify(result)}\n`)
