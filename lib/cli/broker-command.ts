/**
 * `qosmos broker`: builds BrokerOptions from flags and files, starts the listeners, prints one
 * line per listener on stdout, logs JSON through pino on stderr, and closes the broker on
 * SIGINT or SIGTERM (a second signal exits at once).
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pino } from 'pino'
import type { DestinationStream } from 'pino'
import type { Broker, ListenerAddress } from '../broker/api.js'
import type { BrokerHooks, BrokerOptions, Logger, TlsListenOptions } from '../broker/options.js'
import { loadAclFile } from '../broker/auth/acl-file.js'
import { describeFsError, loadPasswordFile } from '../broker/auth/password-file.js'
import { InvalidArgumentError, QosmosError } from '../core/errors.js'
import type { BrokerPersistence } from '../persistence/contract-broker.js'
import { openLmdbBackend, type LmdbOptions } from '../persistence/lmdb.js'
import { formatUsage, parseArgs, usageError } from './args.js'
import { BROKER_SPEC, resolveBrokerConfig } from './broker-config.js'
import type { BrokerConfig } from './broker-config.js'

/** Makes the broker; `lib/broker`'s `createBroker`, or a fake in tests. Only `listen`, `listenTls`, `listenWebSocket` and `close` are used. */
export type CreateBroker = (options: BrokerOptions) => Broker | Promise<Broker>

/** Where signals come from (`process` by default). */
export interface SignalSource {
  on (signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
  off (signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown
}

export interface BrokerCommandDeps {
  readonly createBroker: CreateBroker
  /** One line per listener. Default: stdout. */
  readonly out?: (line: string) => void
  /** One-line failures (port in use). Default: stderr. */
  readonly err?: (line: string) => void
  /** Where pino writes its JSON lines. Default: stderr. */
  readonly logStream?: DestinationStream
  /** Ends the process after shutdown. Default: process.exit. */
  readonly exit?: (code: number) => void
  /** Signals that trigger shutdown; `false` installs no handler. Default: process. */
  readonly signals?: SignalSource | false
  /** The listen address when neither flag nor file gives one. Default: :: with IPv6, else 0.0.0.0. */
  readonly defaultHost?: () => string
  /** Opens the durable store in a data directory. Default: the lmdb backend. */
  readonly openPersistence?: (options: LmdbOptions) => Promise<BrokerPersistence>
}

/** Where `qosmos broker` keeps its state without --data-dir (relative to the working directory). */
export const DEFAULT_DATA_DIR = 'qosmos-data'

export interface RunningBroker {
  readonly broker: Broker
  readonly config: BrokerConfig
  /** What createBroker was called with. */
  readonly options: BrokerOptions
  readonly listeners: readonly ListenerAddress[]
  /**
   * What SIGINT and SIGTERM do: the first call closes the broker, then exits 0 (1 if close
   * failed); a call while closing exits at once with 128 + the signal number.
   */
  shutdown (signal?: 'SIGINT' | 'SIGTERM'): Promise<void>
}

/** `mqtt://HOST:PORT`, with IPv6 hosts in brackets. */
export function formatListener (address: ListenerAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host
  return `${address.protocol}://${host}:${address.port}`
}

function readTlsFile (flag: string, file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw usageError(BROKER_SPEC, `cannot read --${flag} ${file}: ${describeFsError(err)}`)
  }
}

/** Re-labels an error of a file loader as a `qosmos broker:` line. */
async function withCommandPrefix<T> (load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`qosmos broker: ${err.message}`)
    throw err
  }
}

/** The BrokerOptions for a configuration: limits, $SYS interval, logger and the file-based hooks. */
export async function buildBrokerOptions (config: BrokerConfig, logger: Logger): Promise<BrokerOptions> {
  let hooks: BrokerHooks = {}
  if (config.passwordFile !== undefined) {
    const file = config.passwordFile
    hooks = { ...hooks, authenticate: await withCommandPrefix(() => loadPasswordFile(file)) }
  }
  if (config.aclFile !== undefined) {
    const file = config.aclFile
    const acl = await withCommandPrefix(() => loadAclFile(file))
    hooks = { ...hooks, authorizePublish: acl.authorizePublish, authorizeSubscribe: acl.authorizeSubscribe, authorizeForward: acl.authorizeForward }
  }
  return {
    ...config.limits,
    ...(config.sysInterval === undefined ? {} : { sysInterval: config.sysInterval }),
    ...(Object.keys(hooks).length === 0 ? {} : { hooks }),
    logger
  }
}

function tlsOptions (config: BrokerConfig): TlsListenOptions | undefined {
  const tls = config.tls
  if (tls === undefined) return undefined
  return {
    port: tls.port,
    host: config.host,
    key: readTlsFile('key', tls.key),
    cert: readTlsFile('cert', tls.cert),
    ...(tls.ca === undefined ? {} : { ca: readTlsFile('ca', tls.ca) }),
    ...(tls.requireCert ? { requestCert: true, rejectUnauthorized: true } : {})
  }
}

function listenFailure (what: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const reason = code === 'EADDRINUSE'
    ? 'address already in use'
    : code === 'EACCES' ? 'permission denied' : code === 'EADDRNOTAVAIL' ? 'address not available on this host' : err instanceof Error ? err.message : String(err)
  return `qosmos broker: cannot listen on ${what}: ${reason}`
}

/**
 * Runs `qosmos broker ARGV`. Resolves with the running broker, or with an exit code when the
 * command is already over (0 after --help, 1 when a listener could not start). Throws
 * `InvalidArgumentError` (one line, exit code 2) for bad flags, config files and unreadable files.
 */
export async function runBrokerCommand (argv: readonly string[], deps: BrokerCommandDeps): Promise<RunningBroker | number> {
  const out = deps.out ?? ((line: string) => { process.stdout.write(`${line}\n`) })
  const err = deps.err ?? ((line: string) => { process.stderr.write(`${line}\n`) })
  const args = parseArgs(BROKER_SPEC, argv)
  if (args.help) { out(formatUsage(BROKER_SPEC)); return 0 }
  const config = resolveBrokerConfig(args, deps.defaultHost)

  const logger = pino({ name: 'qosmos', level: config.logLevel }, deps.logStream ?? pino.destination(2))
  const tls = tlsOptions(config)
  const built = await buildBrokerOptions(config, logger)

  // State is durable by default (./qosmos-data); --memory keeps it in memory only.
  let persistence: BrokerPersistence | undefined
  if (!config.memory) {
    const dir = resolve(config.dataDir ?? DEFAULT_DATA_DIR)
    try {
      const store: LmdbOptions = config.minFreeDisk === undefined ? { path: dir } : { path: dir, minFreeBytes: config.minFreeDisk }
      persistence = await (deps.openPersistence ?? openLmdbBackend)(store)
    } catch (e) {
      err(`qosmos broker: ${e instanceof QosmosError || e instanceof Error ? e.message : String(e)}`)
      logger.error({ err: e, dataDir: dir }, 'cannot open the data directory')
      return 1
    }
    logger.info({ dataDir: dir, minFreeDisk: config.minFreeDisk }, 'state kept in the data directory')
  }
  const options: BrokerOptions = persistence === undefined ? built : { ...built, persistence }
  const closeStore = async (): Promise<void> => { await persistence?.close() }

  const broker = await deps.createBroker(options)
  try {
    await broker.ready
  } catch (e) {
    err(`qosmos broker: cannot restore the state in the data directory: ${e instanceof Error ? e.message : String(e)}`)
    await broker.close().catch(() => {})
    await closeStore().catch(() => {})
    return 1
  }
  const listeners: ListenerAddress[] = []
  const at = (protocol: ListenerAddress['protocol'], port: number): string => formatListener({ protocol, host: config.host, port })
  const plan: Array<[string, () => Promise<ListenerAddress>]> = [
    [at('mqtt', config.port), () => broker.listen({ port: config.port, host: config.host })]
  ]
  if (tls !== undefined) plan.push([at('mqtts', tls.port ?? 0), () => broker.listenTls(tls)])
  const wsPort = config.wsPort
  if (wsPort !== undefined) plan.push([at('ws', wsPort), () => broker.listenWebSocket({ port: wsPort, host: config.host })])
  for (const [what, listen] of plan) {
    try {
      listeners.push(await listen())
    } catch (e) {
      err(listenFailure(what, e))
      logger.error({ err: e }, 'listener failed')
      await broker.close().catch((closeErr: unknown) => { logger.error({ err: closeErr }, 'close failed') })
      await closeStore().catch((closeErr: unknown) => { logger.error({ err: closeErr }, 'closing the store failed') })
      return 1
    }
  }
  for (const l of listeners) out(`qosmos broker listening on ${formatListener(l)}`)
  logger.info({ listeners: listeners.map(formatListener) }, 'broker started')

  const exitProcess = deps.exit ?? ((code: number) => process.exit(code))
  let exited = false
  const exit = (code: number): void => { if (!exited) { exited = true; exitProcess(code) } }
  const signals = deps.signals === undefined ? process : deps.signals
  let closing: Promise<void> | undefined
  const onSigint = (): void => { void shutdown('SIGINT') }
  const onSigterm = (): void => { void shutdown('SIGTERM') }
  const shutdown = (signal: 'SIGINT' | 'SIGTERM' = 'SIGTERM'): Promise<void> => {
    if (closing !== undefined) {
      logger.warn({ signal }, 'second signal: exiting without waiting for close')
      exit(signal === 'SIGINT' ? 130 : 143)
      return closing
    }
    logger.info({ signal }, 'closing')
    closing = Promise.resolve().then(() => broker.close()).then(closeStore).then(() => {
      logger.info({}, 'closed')
      return 0
    }, (e: unknown) => {
      logger.error({ err: e }, 'close failed')
      return 1
    }).then(code => {
      if (signals !== false) { signals.off('SIGINT', onSigint); signals.off('SIGTERM', onSigterm) }
      logger.flush?.()
      exit(code)
    })
    return closing
  }
  if (signals !== false) { signals.on('SIGINT', onSigint); signals.on('SIGTERM', onSigterm) }
  return { broker, config, options, listeners, shutdown }
}
