import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { createBroker } from '../../lib/broker/index.js'
import { main } from '../../lib/cli/main.js'
import { connect } from '../../lib/client/index.js'
import { take, within } from './_helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'qosmos-client-tls-'))
const file = (name: string): string => join(dir, name)
test.before(() => {
  const ssl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }) }
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=qosmos client test CA')
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n')
  for (const name of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? '127.0.0.1' : 'device-9'}`)
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', ...(name === 'server' ? ['-extfile', 'san.ext'] : []))
  }
})
test.after.always(() => { rmSync(dir, { recursive: true, force: true }) })

async function tlsBroker (t: ExecutionContext): Promise<{ port: number, subjects: string[] }> {
  const subjects: string[] = []
  const broker = createBroker({ hooks: { authenticate: (req) => { subjects.push(String((req.certificate?.subject as { CN?: string } | undefined)?.CN)); return true } } })
  const { port } = await broker.listenTls({ port: 0, host: '127.0.0.1', key: readFileSync(file('server.key')), cert: readFileSync(file('server.crt')), ca: readFileSync(file('ca.crt')), requestCert: true, rejectUnauthorized: true })
  t.teardown(async () => { await broker.close() })
  return { port, subjects }
}

test('mqtts:// verifies the broker against the CA and presents the client certificate', async t => {
  const { port, subjects } = await tlsBroker(t)
  const c = await connect(`mqtts://127.0.0.1:${port}`, { reconnect: false, tls: { ca: readFileSync(file('ca.crt')), cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')) } })
  t.teardown(async () => { await c.end({ force: true }) })
  const s = await c.subscribe('tls', { qos: 1 })
  const got = take(s, 1)
  await c.publish('tls', 'secret', { qos: 1 })
  t.is((await within(got))[0]?.payload.toString(), 'secret')
  t.deepEqual(subjects, ['device-9'])
})

test('mqtts:// without the CA refuses the self-signed broker certificate', async t => {
  const { port } = await tlsBroker(t)
  await t.throwsAsync(connect(`mqtts://127.0.0.1:${port}`, { reconnect: false, tls: { cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')) } }))
})

test('qosmos pub --cafile --cert --key publishes over TLS; a missing --key is a usage error', async t => {
  const { port } = await tlsBroker(t)
  const out: string[] = []
  const err: string[] = []
  const deps = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }
  const code = await main(['pub', '-h', '127.0.0.1', '-p', String(port), '--cafile', file('ca.crt'), '--cert', file('client.crt'), '--key', file('client.key'), '-t', 'x', '-m', 'y', '-q', '1'], deps)
  t.deepEqual([code, err], [0, []])
  const bad = await main(['pub', '-h', '127.0.0.1', '-p', String(port), '--cafile', file('ca.crt'), '--cert', file('client.crt'), '-t', 'x', '-m', 'y'], deps)
  t.is(bad, 2)
  t.deepEqual(err, ['qosmos pub: --cert and --key go together (see qosmos pub --help)'])
})
