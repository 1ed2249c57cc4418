/** Python paho-mqtt (Debian python3-paho-mqtt) as an interop peer: interop/peers/paho_peer.py over stdin/stdout. */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { INTEROP_DIR, type Version } from './matrix.js'
import type { Proc } from './proc.js'
import { messageWaiter, missingReason, type PeerDriver, type Received, type Scope } from './peer.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = join(INTEROP_DIR, 'peers', 'paho_peer.py')

function probe (): { missing: string | undefined, version: string } {
  const disabled = missingReason('paho', () => undefined)
  if (disabled !== undefined) return { missing: disabled, version: '' }
  const r = spawnSync(PYTHON, ['-c', 'import paho.mqtt; print(paho.mqtt.__version__)'], { encoding: 'utf8', timeout: 10000 })
  if (r.error !== undefined || r.status !== 0) return { missing: `${PYTHON} cannot import paho (Debian package python3-paho-mqtt): ${r.error?.message ?? r.stderr.trim()}`, version: '' }
  return { missing: undefined, version: r.stdout.trim() }
}

const found = probe()
export const pahoVersion = found.version

interface Event { readonly ev: string, readonly [key: string]: unknown }

function start (scope: Scope): { proc: Proc, next: (ev: string, ms?: number) => Promise<Event>, command: (cmd: object) => void } {
  const proc = scope.spawn(PYTHON, [SCRIPT])
  let seen = 0
  return {
    proc,
    async next (ev, ms = 10000) {
      const line = await proc.waitLine((l, i) => {
        if (i < seen || (JSON.parse(l) as Event).ev !== ev) return false
        seen = i + 1
        return true
      }, `paho "${ev}" event`, ms)
      return JSON.parse(line) as Event
    },
    command (cmd) { proc.send(JSON.stringify(cmd)) }
  }
}

function toReceived (e: Event): Received {
  const props = (e.props ?? {}) as { userProperties?: Array<[string, string]>, responseTopic?: string, correlationData?: string, messageExpiryInterval?: number }
  return {
    topic: e.topic as string,
    payload: e.payload as string,
    qos: e.qos as number,
    retain: e.retain as boolean,
    userProperties: props.userProperties ?? [],
    responseTopic: props.responseTopic,
    correlationData: props.correlationData,
    messageExpiryInterval: props.messageExpiryInterval
  }
}

async function connect (p: ReturnType<typeof start>, port: number, version: Version, fields: object): Promise<boolean> {
  p.command({ op: 'connect', port, version, ...fields })
  const ack = await p.next('connack')
  if (ack.rc !== 0) throw new Error(`paho: CONNACK ${String(ack.rc)}`)
  return ack.sessionPresent === true
}

export const paho: PeerDriver = {
  id: 'paho',
  label: 'paho-mqtt',
  tool: `Python paho-mqtt ${found.missing === undefined ? found.version : '(unavailable)'}`,
  versions: [4, 5],
  missing: found.missing,

  async publish (scope, port, version, m) {
    const p = start(scope)
    await connect(p, port, version, { clientId: `paho-pub-${process.pid}-${Math.random().toString(16).slice(2, 8)}`, cleanStart: true })
    const props = {
      ...(m.userProperties === undefined ? {} : { userProperties: m.userProperties }),
      ...(m.responseTopic === undefined ? {} : { responseTopic: m.responseTopic }),
      ...(m.correlationData === undefined ? {} : { correlationData: m.correlationData }),
      ...(m.messageExpiryInterval === undefined ? {} : { messageExpiryInterval: m.messageExpiryInterval })
    }
    p.command({ op: 'publish', topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain ?? false, props })
    const done = await p.next('published')
    if (done.done !== true) throw new Error(`paho: publish not completed: ${JSON.stringify(done)}`)
    p.command({ op: 'disconnect' })
    await p.next('disconnected')
    await p.proc.exited(10000)
  },

  async subscribe (scope, port, version, o) {
    const p = start(scope)
    const received: Received[] = []
    const waiter = messageWaiter(received, () => `(paho: ${p.proc.stderr})`)
    p.proc.onLine(line => {
      const e = JSON.parse(line) as Event
      if (e.ev !== 'message') return
      received.push(toReceived(e))
      waiter.notify()
    })
    const sessionPresent = await connect(p, port, version, {
      clientId: o.clientId,
      cleanStart: o.cleanStart ?? true,
      ...(o.sessionExpiry === undefined ? {} : { sessionExpiry: o.sessionExpiry }),
      ...(o.will === undefined ? {} : { will: o.will })
    })
    p.command({ op: 'subscribe', filters: o.filters, qos: o.qos })
    const suback = await p.next('suback')
    for (const g of suback.granted as number[]) if (g > 2) throw new Error(`paho: subscription refused: ${JSON.stringify(suback)}`)
    if ((o.unsubscribe ?? []).length > 0) {
      p.command({ op: 'unsubscribe', filters: o.unsubscribe })
      await p.next('unsuback')
    }
    if (o.thenDisconnect === true) {
      p.command({ op: 'disconnect' })
      await p.next('disconnected')
      await p.proc.exited(10000)
    }
    return {
      sessionPresent,
      received,
      waitFor: waiter.waitFor,
      async crash () {
        p.proc.kill('SIGKILL')
        await p.proc.exited(10000)
      }
    }
  }
}
