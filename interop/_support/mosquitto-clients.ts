/** mosquitto_pub / mosquitto_sub (Debian mosquitto-clients) as an interop peer. */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Version } from './matrix.js'
import { messageWaiter, missingReason, type PeerDriver, type PeerWill, type Received } from './peer.js'

const PUB = '/usr/bin/mosquitto_pub'
const SUB = '/usr/bin/mosquitto_sub'
const TAB = '\t'
// mosquitto_sub flushes stdout after a message but not after its -d debug lines (SUBACK...):
// run it line-buffered when coreutils' stdbuf is there.
const STDBUF = '/usr/bin/stdbuf'
// One line per message: payload in hex (newline-safe), then the v5 properties.
const FORMAT = ['MSG', '%t', '%q', '%r', '%x', '%P', '%R', '%D', '%E'].join('\\t')

const common = (port: number, version: Version): string[] =>
  ['-h', '127.0.0.1', '-p', String(port), '-V', version === 5 ? 'mqttv5' : 'mqttv311', '-k', '30']

const willArgs = (will: PeerWill | undefined): string[] => will === undefined
  ? []
  : ['--will-topic', will.topic, '--will-payload', will.payload, '--will-qos', String(will.qos), ...(will.retain === true ? ['--will-retain'] : [])]

/** "k1:v1 k2:v 2" as printed by %P; our test keys never contain ':' or ' '. */
function parseUserProperties (text: string): Array<[string, string]> {
  if (text === '') return []
  const out: Array<[string, string]> = []
  for (const m of text.matchAll(/([^\s:]+):(.*?)(?= [^\s:]+:|$)/g)) out.push([m[1] as string, m[2] as string])
  return out
}

function parseMessage (line: string): Received {
  const [, topic = '', qos = '0', retain = '0', hex = '', props = '', responseTopic = '', correlation = '', expiry = ''] = line.split(TAB)
  return {
    topic,
    payload: Buffer.from(hex, 'hex').toString('utf8'),
    qos: Number(qos),
    retain: retain === '1',
    userProperties: parseUserProperties(props),
    responseTopic: responseTopic === '' ? undefined : responseTopic,
    correlationData: correlation === '' ? undefined : correlation,
    messageExpiryInterval: expiry === '' ? undefined : Number(expiry)
  }
}

const missing = missingReason('mosquitto-clients', () =>
  existsSync(PUB) && existsSync(SUB) ? undefined : `${PUB} or ${SUB} not installed (Debian package mosquitto-clients)`)

/** "mosquitto_pub version 2.0.11 running on libmosquitto 2.0.11." -> "2.0.11" */
function toolVersion (): string {
  if (missing !== undefined) return '(unavailable)'
  const r = spawnSync(PUB, ['--help'], { encoding: 'utf8', timeout: 5000 })
  return /version (\S+)/.exec(r.stdout)?.[1] ?? 'unknown version'
}

export const mosquittoClients: PeerDriver = {
  id: 'mosquitto-clients',
  label: 'mosquitto_pub/sub',
  tool: `mosquitto_pub / mosquitto_sub ${toolVersion()}`,
  versions: [4, 5],
  missing,

  async publish (scope, port, version, m) {
    const args = [...common(port, version), '-t', m.topic, '-q', String(m.qos), '-d']
    if (m.payload === '') args.push('-n')
    else args.push('-m', m.payload)
    if (m.retain === true) args.push('-r')
    for (const [k, v] of m.userProperties ?? []) args.push('-D', 'publish', 'user-property', k, v)
    if (m.responseTopic !== undefined) args.push('-D', 'publish', 'response-topic', m.responseTopic)
    if (m.correlationData !== undefined) args.push('-D', 'publish', 'correlation-data', m.correlationData)
    if (m.messageExpiryInterval !== undefined) args.push('-D', 'publish', 'message-expiry-interval', String(m.messageExpiryInterval))
    const p = scope.spawn(PUB, args)
    const code = await p.exited(10000)
    if (code !== 0) throw new Error(`mosquitto_pub exited ${String(code)}: ${p.lines.join(' | ')} ${p.stderr}`)
    // mosquitto_pub waits for the end of the QoS handshake before it disconnects; check it saw it.
    const ack = m.qos === 1 ? 'received PUBACK' : m.qos === 2 ? 'received PUBCOMP' : 'sending PUBLISH'
    if (!p.lines.some(l => l.includes(ack))) throw new Error(`mosquitto_pub: no "${ack}": ${p.lines.join(' | ')}`)
  },

  async subscribe (scope, port, version, o) {
    const args = [...common(port, version), '-d', '-i', o.clientId, '-q', String(o.qos), '-F', FORMAT]
    for (const f of o.filters) args.push('-t', f)
    for (const f of o.unsubscribe ?? []) args.push('-U', f)
    if (o.cleanStart === false) args.push('-c')
    if (o.sessionExpiry !== undefined && version === 5) args.push('-x', String(o.sessionExpiry))
    if (o.thenDisconnect === true) args.push('-E')
    args.push(...willArgs(o.will))
    const p = existsSync(STDBUF) ? scope.spawn(STDBUF, ['-oL', SUB, ...args]) : scope.spawn(SUB, args)
    const received: Received[] = []
    const waiter = messageWaiter(received, () => `(mosquitto_sub: ${p.lines.join(' | ')} ${p.stderr})`)
    p.onLine(line => {
      if (!line.startsWith('MSG' + TAB)) return
      received.push(parseMessage(line))
      waiter.notify()
    })
    await p.waitLine(l => l.includes('received SUBACK'), 'SUBACK')
    if ((o.unsubscribe ?? []).length > 0) await p.waitLine(l => l.includes('received UNSUBACK'), 'UNSUBACK')
    if (o.thenDisconnect === true) {
      const code = await p.exited(10000)
      if (code !== 0) throw new Error(`mosquitto_sub -E exited ${String(code)}: ${p.stderr}`)
      if (!p.lines.some(l => l.includes('sending DISCONNECT'))) throw new Error('mosquitto_sub -E did not send DISCONNECT')
    }
    return {
      sessionPresent: undefined, // mosquitto_sub -d prints only the CONNACK reason code
      received,
      waitFor: waiter.waitFor,
      async crash () {
        p.kill('SIGKILL') // the socket is closed by the kernel: no DISCONNECT
        await p.exited(10000)
      }
    }
  }
}
