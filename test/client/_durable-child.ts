/**
 * A client process for the restart tests, killed with SIGKILL by the test at a chosen step and
 * started again on the same store. Environment: URL, STORE (directory), CLIENT_ID, MODE
 * (publish | publish-offline | resume | subscribe | subscribe-resume), QOS, LOG (file the "application" appends each message to).
 * Prints one line per milestone on stdout: 'connected', 'subscribed', 'published', 'queued', 'drained'.
 */
import { appendFileSync } from 'node:fs'
import { connect } from '../../lib/client/index.js'
import { openLmdbClientStore } from '../../lib/persistence/client-lmdb.js'

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const store = await openLmdbClientStore({ path: env('STORE'), clientId: env('CLIENT_ID') })
const client = await connect(env('URL'), {
  clientId: env('CLIENT_ID'),
  store,
  properties: { sessionExpiryInterval: 300 },
  reconnect: { initialDelay: 5, maxDelay: 50, jitter: 0 }
})
client.on('message', (_topic, payload) => { appendFileSync(env('LOG'), `${payload.toString()}\n`) })
console.log('connected')
const mode = env('MODE')
if (mode === 'subscribe-resume') {
  // The broker kept the subscription (session resumed); nothing to do but receive.
} else if (mode === 'subscribe') {
  await client.subscribe('dur/sub', { qos: 2 })
  console.log('subscribed')
} else if (mode === 'publish') {
  await client.publish('dur/pub', 'the message', { qos: Number(env('QOS')) as 1 | 2 })
  console.log('published')
} else if (mode === 'publish-offline') {
  // Queued while offline: the message is in the store's offline queue, not yet in flight.
  client.once('offline', () => {
    client.publish('dur/pub', 'queued message', { qos: 1 }).catch(() => {})
    const check = (): void => { if (client.stats.queued > 0) console.log('queued'); else setTimeout(check, 5) }
    check()
  })
} else if (mode === 'resume') {
  const check = (): void => {
    const stats = client.stats
    if (stats.inflightOutbound === 0 && stats.queued === 0) console.log('drained')
    else setTimeout(check, 5)
  }
  check()
}
