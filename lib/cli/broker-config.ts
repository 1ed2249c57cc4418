/**
 * The options of `qosmos broker`, from flags and an optional config file (JSON or YAML).
 *
 * A config file uses the flags' names in camelCase (`tlsPort`, `maxPacketSize`, `passwordFile`)
 * plus a nested `limits` object with the keys of `BrokerLimits`. Precedence, lowest first:
 * `limits` in the file, the file's flag keys, the command line. Relative paths in the file are
 * relative to the file's own folder; on the command line, to the current directory.
 */
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { dirname, extname, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { BrokerLimits } from '../broker/options.js'
import { describeFsError } from '../broker/auth/password-file.js'
import { booleanValue, camelCase, coerceFlagValue, integerValue, stringValue, usageError } from './args.js'
import type { CommandSpec, FlagSpec, FlagValue, ParsedArgs } from './args.js'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

const port = (name: string, description: string, short?: string): FlagSpec =>
  ({ name, kind: 'integer', min: 0, max: 65535, valueName: 'PORT', description, ...(short === undefined ? {} : { short }) })
const path = (name: string, description: string, valueName = 'FILE'): FlagSpec => ({ name, kind: 'string', valueName, description })

export const BROKER_SPEC: CommandSpec = {
  command: 'broker',
  synopsis: 'qosmos broker [options]',
  summary: 'Runs an MQTT 3.1, 3.1.1 and 5.0 broker until SIGINT or SIGTERM.',
  positionals: { min: 0, max: 0 },
  flags: [
    port('port', 'MQTT over TCP port (default 1883; 0 picks a free port)', 'p'),
    { name: 'host', short: 'H', kind: 'string', valueName: 'ADDRESS', description: 'address to listen on (default :: when IPv6 is available, which also accepts IPv4; else 0.0.0.0)' },
    port('tls-port', 'also listen for MQTT over TLS on this port (needs --key and --cert)'),
    path('key', 'TLS private key (PEM)'),
    path('cert', 'TLS certificate chain (PEM)'),
    path('ca', 'CA certificates (PEM) that client certificates are checked against'),
    { name: 'require-cert', kind: 'boolean', description: 'TLS clients must present a certificate signed by --ca' },
    port('ws-port', 'also listen for MQTT over WebSocket on this port'),
    path('config', 'read options from a JSON (.json) or YAML (.yaml, .yml) file; flags win', 'FILE'),
    { name: 'log-level', kind: 'enum', values: LOG_LEVELS, valueName: 'LEVEL', description: 'fatal, error, warn, info (default), debug, trace or silent; JSON logs go to stderr' },
    { name: 'max-keepalive', kind: 'integer', min: 1, max: 65535, valueName: 'SECONDS', description: 'largest Keep Alive a client may use' },
    { name: 'max-packet-size', kind: 'integer', min: 1, max: 268435460, valueName: 'BYTES', description: 'largest packet accepted from a client (default 1 MiB)' },
    { name: 'max-queued-messages', kind: 'integer', min: 0, max: 2 ** 31 - 1, description: 'messages queued per session (default 10000)' },
    { name: 'max-queued-bytes', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, valueName: 'BYTES', description: 'bytes queued per session (default 64 MiB)' },
    { name: 'receive-maximum', kind: 'integer', min: 1, max: 65535, description: 'QoS 1/2 publications a client may have unacknowledged (default 1024)' },
    { name: 'max-inflight', kind: 'integer', min: 1, max: 65535, description: 'QoS 1/2 messages sent to a 3.1.1 client before it acknowledges (default 1024; v5 clients state their own)' },
    { name: 'max-qos', kind: 'integer', min: 0, max: 2, valueName: 'QOS', description: 'maximum QoS granted and accepted (default 2)' },
    { name: 'no-retain', kind: 'boolean', description: 'do not support retained messages' },
    { name: 'sys-interval', kind: 'integer', min: 0, max: 86400, valueName: 'SECONDS', description: 'seconds between $SYS updates, 0 disables (default 10)' },
    path('password-file', 'users and scrypt hashes (see qosmos passwd); clients must log in'),
    path('acl-file', 'mosquitto-style ACL file; what it does not grant is refused'),
    path('data-dir', 'where sessions, queues and retained messages are kept (default ./qosmos-data; locked while in use)', 'DIR'),
    { name: 'memory', kind: 'boolean', description: 'keep all state in memory only (lost when the broker stops)' },
    { name: 'min-free-disk', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, valueName: 'BYTES', description: 'free space kept on the data directory\'s disk: a message that would leave less is refused, not acknowledged (default 64 MiB; 0: none)' }
  ]
}

/** Flags whose value is a path: relative values in a config file are taken from the file's folder. */
const PATH_FLAGS = new Set(['key', 'cert', 'ca', 'password-file', 'acl-file', 'data-dir'])
/** Flags a config file may not set. */
const NOT_IN_FILE = new Set(['config', 'help'])

type LimitSpec = { readonly kind: 'integer', readonly min: number, readonly max: number } | { readonly kind: 'boolean' }
const int = (min: number, max: number): LimitSpec => ({ kind: 'integer', min, max })
const LIMIT_SPECS: { readonly [K in keyof Required<BrokerLimits>]: LimitSpec } = {
  maxKeepAlive: int(1, 65535),
  receiveMaximum: int(1, 65535),
  maxPacketSize: int(1, 268435460),
  topicAliasMaximum: int(0, 65535),
  maxQueuedMessages: int(0, 2 ** 31 - 1),
  maxQueuedBytes: int(0, Number.MAX_SAFE_INTEGER),
  queueQos0Offline: { kind: 'boolean' },
  maxSessionExpiryInterval: int(0, 4294967295),
  maximumQoS: int(0, 2),
  retainAvailable: { kind: 'boolean' },
  maxInflight: int(1, 65535)
}

export interface TlsConfig {
  readonly port: number
  readonly key: string
  readonly cert: string
  readonly ca: string | undefined
  readonly requireCert: boolean
}

/** Everything `qosmos broker` was asked to do, before any file but the config file is read. */
export interface BrokerConfig {
  readonly host: string
  readonly port: number
  readonly tls: TlsConfig | undefined
  readonly wsPort: number | undefined
  readonly logLevel: LogLevel
  readonly limits: BrokerLimits
  readonly sysInterval: number | undefined
  readonly passwordFile: string | undefined
  readonly aclFile: string | undefined
  /** The data directory of the durable store (default ./qosmos-data when not --memory). */
  readonly dataDir: string | undefined
  /** No durable store: all state in memory. */
  readonly memory: boolean
  /** Bytes the durable store leaves free on its disk (default: the store's, 64 MiB). */
  readonly minFreeDisk: number | undefined
  readonly configFile: string | undefined
}

/** `::` (dual stack: IPv4 clients arrive as ::ffff:a.b.c.d) when this host has IPv6, else `0.0.0.0`. */
export function defaultHost (): string {
  const hasIpv6 = Object.values(networkInterfaces()).some(list => list?.some(a => a.family === 'IPv6') === true)
  return hasIpv6 ? '::' : '0.0.0.0'
}

function fileError (file: string, problem: string): Error {
  return usageError(BROKER_SPEC, `config ${file}: ${problem}`)
}

/** Reads a config file into an object (empty file: no options). */
export function readConfigFile (file: string): Record<string, unknown> {
  const ext = extname(file).toLowerCase()
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') throw fileError(file, 'the file name must end in .json, .yaml or .yml')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw usageError(BROKER_SPEC, `cannot read config file ${file}: ${describeFsError(err)}`)
  }
  let data: unknown
  try {
    data = ext === '.json' ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''
    throw fileError(file, `invalid ${ext === '.json' ? 'JSON' : 'YAML'}: ${reason}`)
  }
  if (data === null || data === undefined) return {}
  if (typeof data !== 'object' || Array.isArray(data)) throw fileError(file, 'the top level must be an object of options')
  return data as Record<string, unknown>
}

function fileValue (file: string, key: string, spec: FlagSpec | LimitSpec, value: unknown): FlagValue {
  if (spec.kind === 'boolean') {
    if (typeof value !== 'boolean') throw fileError(file, `'${key}' must be true or false`)
    return value
  }
  if (spec.kind === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw fileError(file, `'${key}' must be an integer from ${spec.min} to ${spec.max}`)
    return coerceFlagValue(BROKER_SPEC, { ...spec, name: key, description: '' }, String(value), `'${key}' in config ${file}`)
  }
  if (typeof value !== 'string') throw fileError(file, `'${key}' must be a string`)
  const checked = coerceFlagValue(BROKER_SPEC, spec, value, `'${key}' in config ${file}`) as string
  return PATH_FLAGS.has(spec.name) ? resolve(dirname(file), checked) : checked
}

/** The file's options as flag values keyed by flag name, and its `limits`. */
export function configFromFile (file: string, data: Record<string, unknown>): { values: Map<string, FlagValue>, limits: BrokerLimits } {
  const byKey = new Map(BROKER_SPEC.flags.filter(f => !NOT_IN_FILE.has(f.name)).map(f => [camelCase(f.name), f]))
  const values = new Map<string, FlagValue>()
  const limits: Record<string, FlagValue> = {}
  for (const [key, value] of Object.entries(data)) {
    if (key === 'limits') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fileError(file, "'limits' must be an object")
      for (const [name, v] of Object.entries(value)) {
        const spec = (LIMIT_SPECS as Record<string, LimitSpec | undefined>)[name]
        if (spec === undefined) throw fileError(file, `unknown key 'limits.${name}' (known: ${Object.keys(LIMIT_SPECS).join(', ')})`)
        limits[name] = fileValue(file, `limits.${name}`, spec, v)
      }
      continue
    }
    const flag = byKey.get(key)
    if (flag === undefined) throw fileError(file, `unknown key '${key}'`)
    values.set(flag.name, fileValue(file, key, flag, value))
  }
  return { values, limits: limits as BrokerLimits }
}

/** Builds the broker's configuration from parsed flags (and the config file they name). */
export function resolveBrokerConfig (args: ParsedArgs, hostDefault: () => string = defaultHost): BrokerConfig {
  const configFile = stringValue(args, 'config')
  let merged: ParsedArgs = args
  let fileLimits: BrokerLimits = {}
  if (configFile !== undefined) {
    const fromFile = configFromFile(configFile, readConfigFile(configFile))
    fileLimits = fromFile.limits
    merged = { ...args, values: new Map([...fromFile.values, ...args.values]) }
  }
  const fail = (problem: string): never => { throw usageError(BROKER_SPEC, problem) }

  const limits: Record<string, number | boolean> = { ...fileLimits }
  const limitFlags: ReadonlyArray<readonly [string, keyof BrokerLimits]> = [
    ['max-keepalive', 'maxKeepAlive'], ['max-packet-size', 'maxPacketSize'], ['max-queued-messages', 'maxQueuedMessages'],
    ['max-queued-bytes', 'maxQueuedBytes'], ['receive-maximum', 'receiveMaximum'], ['max-qos', 'maximumQoS'],
    ['max-inflight', 'maxInflight']
  ]
  for (const [flag, key] of limitFlags) {
    const v = integerValue(merged, flag)
    if (v !== undefined) limits[key] = v
  }
  if (booleanValue(merged, 'no-retain')) limits.retainAvailable = false

  const tlsPort = integerValue(merged, 'tls-port')
  const key = stringValue(merged, 'key')
  const cert = stringValue(merged, 'cert')
  const ca = stringValue(merged, 'ca')
  const requireCert = booleanValue(merged, 'require-cert')
  let tls: TlsConfig | undefined
  if (tlsPort === undefined) {
    const stray = [key === undefined ? '' : '--key', cert === undefined ? '' : '--cert', ca === undefined ? '' : '--ca', requireCert ? '--require-cert' : ''].filter(Boolean)
    if (stray.length > 0) fail(`${stray.join(', ')} given without --tls-port`)
  } else {
    if (key === undefined || cert === undefined) fail('--tls-port needs --key and --cert')
    if (requireCert && ca === undefined) fail('--require-cert needs --ca (the CA that signs client certificates)')
    tls = { port: tlsPort, key: key as string, cert: cert as string, ca, requireCert }
  }

  const port = integerValue(merged, 'port') ?? 1883
  const wsPort = integerValue(merged, 'ws-port')
  const ports = [['--port', port], ['--tls-port', tlsPort], ['--ws-port', wsPort]] as const
  for (const [i, [a, pa]] of ports.entries()) {
    for (const [b, pb] of ports.slice(i + 1)) if (pa !== undefined && pa !== 0 && pa === pb) fail(`${a} and ${b} are both ${pa}`)
  }

  const dataDir = stringValue(merged, 'data-dir')
  const memory = booleanValue(merged, 'memory')
  if (memory && dataDir !== undefined) fail('--memory and --data-dir exclude each other')
  const minFreeDisk = integerValue(merged, 'min-free-disk')
  if (memory && minFreeDisk !== undefined) fail('--min-free-disk is for the data directory; --memory keeps nothing on disk')

  return {
    host: stringValue(merged, 'host') ?? hostDefault(),
    port,
    tls,
    wsPort,
    logLevel: (stringValue(merged, 'log-level') ?? 'info') as LogLevel,
    limits: limits as BrokerLimits,
    sysInterval: integerValue(merged, 'sys-interval'),
    passwordFile: stringValue(merged, 'password-file'),
    aclFile: stringValue(merged, 'acl-file'),
    dataDir,
    memory,
    minFreeDisk,
    configFile
  }
}
