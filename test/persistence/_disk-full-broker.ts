// Child process of lmdb-disk-full.test.ts: a broker on the lmdb store in DIR (a full tmpfs),
// publishers filling it. Prints one JSON line with what happened, then exits. (lmdb's native
// writer has been seen to corrupt its heap after a failed commit of overflow pages (values
// above one page) on a full disk, so the scenario runs here, where that cannot take the test
// runner with it, and with payloads that fit in a page.)
import { openLmdbBackend } from '../../lib/persistence/lmdb.js'
import { startBroker } from '../../spec-tests/_harness/broker.js'

const path = process.argv[2] as string
const persistence = await openLmdbBackend({ path, minFreeBytes: 0 }) // the reserve off: the disk really fills
const b = await startBroker({ persistence })
const result = { acknowledged: 0, refused: false, publisherClosed: false, bystanderServed: false, closeError: undefined as string | undefined }
try {
  const watcher = await b.connected(5)
  const pub = await b.connected(5)
  for (let i = 0; i < 10000 && !result.refused; i++) {
    pub.send({ type: 'publish', topic: `fill/${i}`, payload: Buffer.alloc(1500, 2), qos: 1, packetId: (i % 60000) + 1, retain: true, dup: false })
    const answer = await pub.next(5000).catch(() => undefined)
    if (answer?.type === 'puback') result.acknowledged++
    else result.refused = true
  }
  result.publisherClosed = await pub.closed().then(() => true, () => false)
  watcher.send({ type: 'pingreq' })
  result.bystanderServed = await watcher.expect('pingresp').then(() => true, () => false)
} finally {
  await b.close().catch((e: unknown) => { result.closeError = (e as Error).message })
  await persistence.close().catch(() => {})
}
process.stdout.write(`${JSON.stringify(result)}\n`)
