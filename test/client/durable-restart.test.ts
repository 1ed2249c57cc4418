/** Restart tests, publisher side: see _durable.ts. */
import test from 'ava'
import { join } from 'node:path'
import { killedAt, start, tempDir } from './_durable.js'
import { take, withBroker, within } from './_helpers.js'

// Up: CONNECT, PUBLISH, PUBREL. Down: CONNACK, PUBREC, PUBCOMP.
for (const cut of [{ direction: 'up', drop: 2 }, { direction: 'down', drop: 2 }, { direction: 'up', drop: 3 }] as const) {
  test(`durable store: a publisher killed instead of ${cut.direction} packet ${cut.drop} of QoS 2 completes after restart, delivered exactly once`, async t => {
    const r = await killedAt(t, cut, 'publish')
    t.deepEqual(r.watcherGot, ['the message', 'marker'])
  })
}


test('durable store: a message queued while offline survives a killed process and is sent after restart', async t => {
  const { fakeServer } = await import('../../spec-tests/client/_fake-server.js')
  const h = await withBroker(t)
  const watcher = await h.client()
  const sub = await watcher.subscribe('dur/pub', { qos: 1 })
  const got = take(sub, 1)
  const s = await fakeServer(t)
  const dir = tempDir(t)
  const env = { STORE: join(dir, 'store'), CLIENT_ID: 'durable-offline', QOS: '1', LOG: join(dir, 'app.log') }
  const first = start(t, { ...env, URL: s.url, MODE: 'publish-offline' })
  const peer = await s.accept(15000)
  await peer.handshake()
  await first.waitFor('connected')
  peer.destroy() // offline from now on: later attempts get no CONNACK
  await first.waitFor('queued')
  await new Promise(resolve => setTimeout(resolve, 200)) // lets the queue write commit before the kill
  first.process.kill('SIGKILL')
  await within(first.exited, 15000, 'the kill')
  const second = start(t, { ...env, URL: h.url, MODE: 'resume' })
  await second.waitFor('drained')
  t.deepEqual((await within(got)).map(m => m.payload.toString()), ['queued message'])
})
