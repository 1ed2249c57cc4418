/**
 * What the harness (bench/run.ts) and the load process (bench/load/main.ts) say to each other
 * over the child-process IPC channel, and the shape of one measured run.
 */

export type ScenarioName = 'fanin' | 'fanout' | 'latency' | 'idle' | 'retained'
export type MqttLevel = 4 | 5
export type BenchQoS = 0 | 1 | 2

export const SCENARIOS: readonly ScenarioName[] = ['fanin', 'fanout', 'latency', 'idle', 'retained']

/** One scenario case, fully parameterised: the load process needs nothing else. */
export interface ScenarioSpec {
  readonly scenario: ScenarioName
  readonly level: MqttLevel
  readonly qos: BenchQoS
  readonly host: string
  readonly port: number
  /** The broker's PID: the load process samples its CPU (/proc/PID/stat) and RSS around the measured window. */
  readonly brokerPid: number
  /** Unique per run, so topics (and retained messages) of one run never meet another's. */
  readonly runId: string
  readonly publishers: number
  readonly subscribers: number
  /** Unacknowledged messages per publisher (and per subscriber, end to end). */
  readonly window: number
  readonly payloadBytes: number
  readonly durationMs: number
  readonly warmupMs: number
  /** Fixed publishing rate for the latency scenario, messages per second. */
  readonly rate: number
  /** Idle connections to open (idle scenario). */
  readonly connections: number
  /** Retained messages stored, then delivered to one new wildcard subscriber (retained scenario). */
  readonly retained: number
  /** Upper bound on waiting for outstanding messages after publishing stops. */
  readonly drainTimeoutMs: number
  /**
   * Clients keep their session after the connection (v3.1.1 Clean Session 0, v5 Session Expiry
   * Interval 1 h): a broker with a durable store must then store the flows before acknowledging.
   */
  readonly persistentSessions: boolean
}

/** What the load process measured. Counts are totals; rates and CPU cover the measured window. */
export interface ScenarioResult {
  /** Deliveries (one per subscriber per message) per second, over the measured window. */
  readonly deliveredPerSec: number
  /** Broker CPU time (user + system) per delivery in the measured window, microseconds. */
  readonly brokerCpuUsPerDelivery: number
  /** The kernel's part of it (stime: system calls, loopback TCP), microseconds. */
  readonly brokerSysUsPerDelivery?: number
  /** Broker CPU over the window as a share of one core, percent. */
  readonly brokerCpuPercent: number
  /** The load process's own CPU over the window as a share of one core, percent. */
  readonly loadCpuPercent: number
  readonly published: number
  readonly expected: number
  readonly delivered: number
  readonly lost: number
  readonly duplicated: number
  readonly windowMs: number
  readonly latency?: { readonly p50Ms: number, readonly p90Ms: number, readonly p99Ms: number, readonly p999Ms: number, readonly maxMs: number, readonly samples: number }
  readonly idle?: {
    readonly connections: number
    readonly failed: number
    readonly rssBeforeKiB: number
    readonly rssAfterKiB: number
    readonly kibPerConnection: number
    /** The same count again on top: RSS growth per connection from N to 2N connections. */
    readonly secondBatchKibPerConnection: number
    /**
     * And again: RSS growth per connection from 2N to 3N, the cost of one more idle connection
     * once the runtime's fixed costs are paid (a Node broker's young generation grows under the
     * first bursts, sometimes into the second, and stays). NaN when not measured.
     */
    readonly marginalKibPerConnection: number
    readonly connectsPerSec: number
    readonly brokerCpuUsPerConnection: number
  }
  readonly retained?: { readonly stored: number, readonly received: number, readonly timeToAllMs: number }
  /** Anything the load process wants the reader to know (stalls, refused window, ...). */
  readonly notes: readonly string[]
}

export type ToLoad =
  | { readonly type: 'run', readonly id: number, readonly spec: ScenarioSpec }
  | { readonly type: 'exit' }

export type FromLoad =
  | { readonly type: 'ready' }
  | { readonly type: 'result', readonly id: number, readonly result: ScenarioResult }
  | { readonly type: 'error', readonly id: number, readonly message: string }
