/** Command-line options of bench/run.ts, with the full and the --quick defaults. */
import { resolve } from 'node:path'
import { SCENARIOS, type BenchQoS, type MqttLevel, type ScenarioName } from './lib/types.js'

/**
 * 'baseline' is qosmos from another checkout (--baseline DIR), for before/after runs, and
 * 'baseline-lmdb' the same on the durable lmdb store;
 * 'qosmos-lmdb' is qosmos on the durable lmdb store (acknowledging after durable writes);
 * 'floor' is no broker but a bare relay (servers/floor.ts): what the Node runtime alone costs.
 */
export type BrokerName = 'qosmos' | 'qosmos-lmdb' | 'baseline' | 'baseline-lmdb' | 'aedes' | 'mosquitto' | 'floor'
/** Every broker, in table order. */
export const BROKER_NAMES: readonly BrokerName[] = ['qosmos', 'qosmos-lmdb', 'baseline', 'baseline-lmdb', 'aedes', 'mosquitto', 'floor']
const DEFAULT_BROKERS: readonly BrokerName[] = ['qosmos', 'aedes', 'mosquitto']

export interface BenchOptions {
  readonly quick: boolean
  readonly brokers: readonly BrokerName[]
  readonly scenarios: readonly ScenarioName[]
  readonly qos: readonly BenchQoS[]
  /** QoS levels of the latency run (a subset of `qos`). */
  readonly latencyQos: readonly BenchQoS[]
  readonly levels: readonly MqttLevel[]
  readonly rounds: number
  readonly durationMs: number
  readonly warmupMs: number
  readonly publishers: number
  readonly subscribers: number
  readonly window: number
  readonly payloadBytes: number
  readonly rate: number
  readonly connections: number
  readonly retained: number
  readonly drainTimeoutMs: number
  /** When set, the Node brokers run with `--cpu-prof` and write their profiles here. */
  readonly profileDir?: string
  /** The checkout whose lib/ the 'qosmos' broker runs (default: this one). */
  readonly qosmosDir?: string
  /** Extra node flags for the 'qosmos' and 'qosmos-lmdb' brokers (not 'baseline'): tuning studies. */
  readonly qosmosNodeFlags?: readonly string[]
  /** The checkout whose lib/ the 'baseline' broker runs. */
  readonly baselineDir?: string
  /** Run the Node brokers under tsx rather than compiled. */
  readonly tsx: boolean
  /** Clients ask for sessions that outlive the connection (see ScenarioSpec). */
  readonly persistentSessions: boolean
  /**
   * Each broker process, before its first measured throughput or latency run at a protocol
   * level, gets an unmeasured fan-in at QoS 0, 1 and 2: a long-running broker's code is compiled
   * by then, and a low-rate run on a fresh process would otherwise measure the JIT.
   */
  readonly warm: boolean
}

export const USAGE = `usage: npm run bench -- [options]
  --quick                 short runs, small counts, one round (about two minutes)
  --brokers a,b,c         of qosmos,qosmos-lmdb,aedes,mosquitto,baseline,baseline-lmdb,floor
                          (default: qosmos,aedes,mosquitto, plus baseline when --baseline is given);
                          qosmos-lmdb is qosmos on the durable lmdb store, baseline-lmdb the
                          baseline on it; floor is a bare relay on the same TCP transport, no
                          broker: what the Node runtime alone costs (servers/floor.ts)
  --scenarios a,b         of ${SCENARIOS.join(',')} (default: all)
  --qos 0,1,2             QoS levels of fan-in and fan-out (default: 0,1,2)
  --protocol 3.1.1,5      MQTT versions (default: both)
  --rounds N              interleaved rounds, medians reported (default: 3; quick: 1)
  --duration S            seconds of publishing per throughput/latency run (default: 5; quick: 1.5)
  --publishers N          fan-in publishers (default 4)
  --subscribers N         fan-out subscribers (default 50)
  --window N              unacknowledged messages per publisher (default 64)
  --payload N             payload bytes, at least 16 (default 64)
  --rate N                latency run messages per second (default 2000)
  --connections N         idle connections (default 5000; quick: 500)
  --retained N            retained messages (default 10000; quick: 1000)
  --profile DIR           run the Node brokers with --cpu-prof, profiles written to DIR on exit
                          (summarise with: npx tsx bench/lib/profile-top.ts DIR/qosmos/*.cpuprofile)
  --baseline DIR          also run qosmos from another checkout DIR (DIR/bench/servers/qosmos.ts
                          with DIR/lib) as broker 'baseline', interleaved: before/after runs
  --qosmos-dir DIR        run the 'qosmos' broker from checkout DIR instead of this one
  --qosmos-node-flags "F" node flags for the qosmos brokers only (not baseline), e.g.
                          "--max-semi-space-size=32": A/B runs of runtime settings
  --persistent            clients keep their sessions (v3.1.1 Clean Session 0, v5 Session Expiry
                          1 h), so a durable store (qosmos-lmdb) stores flows before acknowledging
  --no-warm               skip the warm-up: by default every broker process, before its first
                          measured fan-in, fan-out or latency run at a protocol level, gets one
                          unmeasured fan-in at QoS 0, 1 and 2 (1 s each), so a low-rate run does
                          not measure V8 compiling a fresh process's code (off with --quick)
  --tsx                   run the Node brokers under tsx (default: compiled with tsc into
                          .tmp/bench-build first, as in production; tsx adds __name wrappers)`

function list<T extends string | number> (value: string, allowed: readonly T[], parse: (item: string) => T | undefined, name: string): T[] {
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '')
  const parsed = items.map((item) => {
    const result = parse(item)
    if (result === undefined || !allowed.includes(result)) throw new Error(`--${name}: unknown value '${item}' (allowed: ${allowed.join(', ')})`)
    return result
  })
  if (parsed.length === 0) throw new Error(`--${name} needs at least one value`)
  return parsed
}

function positive (value: string | undefined, name: string): number {
  const number = Number(value)
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} needs a positive number, got '${value ?? ''}'`)
  return number
}

function level (item: string): MqttLevel | undefined {
  if (item === '3.1.1' || item === '4' || item === 'v4') return 4
  if (item === '5' || item === '5.0' || item === 'v5') return 5
  return undefined
}

export function parseOptions (argv: readonly string[]): BenchOptions | 'help' {
  const values = new Map<string, string>()
  let quick = false
  let tsx = false
  let persistentSessions = false
  let warm = true
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--help' || arg === '-h') return 'help'
    if (arg === '--quick') { quick = true; continue }
    if (arg === '--tsx') { tsx = true; continue }
    if (arg === '--persistent') { persistentSessions = true; continue }
    if (arg === '--no-warm') { warm = false; continue }
    if (!arg.startsWith('--')) throw new Error(`unexpected argument '${arg}'`)
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined]
    const value = inline ?? argv[++i]
    if (value === undefined) throw new Error(`--${key} needs a value`)
    values.set(key, value)
  }
  const known = ['brokers', 'scenarios', 'qos', 'protocol', 'rounds', 'duration', 'publishers', 'subscribers', 'window', 'payload', 'rate', 'connections', 'retained', 'profile', 'baseline', 'qosmos-dir', 'qosmos-node-flags']
  for (const key of values.keys()) if (!known.includes(key)) throw new Error(`unknown option --${key}\n${USAGE}`)
  const get = (key: string): string | undefined => values.get(key)
  const number = (key: string, full: number, small: number): number => {
    const value = get(key)
    return value === undefined ? (quick ? small : full) : positive(value, key)
  }
  const brokersWanted = get('brokers')
  if (brokersWanted?.split(',').some(b => b === 'baseline' || b === 'baseline-lmdb') === true && get('baseline') === undefined) throw new Error('--brokers baseline and baseline-lmdb need --baseline DIR')
  const qos = list<BenchQoS>(get('qos') ?? '0,1,2', [0, 1, 2], (item) => ({ 0: 0, 1: 1, 2: 2 } as Record<string, BenchQoS>)[item], 'qos')
  const durationMs = number('duration', 5, 1.5) * 1000
  return {
    quick,
    tsx,
    persistentSessions,
    warm: warm && !quick,
    brokers: list<BrokerName>(get('brokers') ?? [...DEFAULT_BROKERS, ...(get('baseline') === undefined ? [] : ['baseline'])].join(','), BROKER_NAMES, (item) => item as BrokerName, 'brokers'),
    scenarios: list<ScenarioName>(get('scenarios') ?? SCENARIOS.join(','), SCENARIOS, (item) => item as ScenarioName, 'scenarios'),
    qos,
    latencyQos: quick && get('qos') === undefined ? [1] : qos.filter((q) => q < 2).length > 0 ? qos.filter((q) => q < 2) : qos,
    levels: list<MqttLevel>(get('protocol') ?? '3.1.1,5', [4, 5], level, 'protocol'),
    rounds: Math.round(number('rounds', 3, 1)),
    durationMs,
    warmupMs: Math.min(1000, durationMs / 4),
    publishers: Math.round(number('publishers', 4, 4)),
    subscribers: Math.round(number('subscribers', 50, 50)),
    window: Math.min(65535, Math.round(number('window', 64, 64))),
    payloadBytes: Math.max(16, Math.round(number('payload', 64, 64))),
    rate: number('rate', 2000, 2000),
    connections: Math.round(number('connections', 5000, 500)),
    retained: Math.round(number('retained', 10_000, 1000)),
    drainTimeoutMs: quick ? 5000 : 15_000,
    ...(get('profile') === undefined ? {} : { profileDir: resolve(get('profile') as string) }),
    ...(get('qosmos-dir') === undefined ? {} : { qosmosDir: resolve(get('qosmos-dir') as string) }),
    ...(get('qosmos-node-flags') === undefined ? {} : { qosmosNodeFlags: (get('qosmos-node-flags') as string).split(' ').filter((f) => f !== '') }),
    ...(get('baseline') === undefined ? {} : { baselineDir: resolve(get('baseline') as string) })
  }
}
