/**
 * The connection flags `qosmos pub` and `qosmos sub` share, spelled as mosquitto_pub and
 * mosquitto_sub spell them, and how they become a URL and ClientOptions.
 */
import { readFile } from 'node:fs/promises'
import type { ClientOptions } from '../client/index.js'
import { ConnectionRefusedError, QosmosError } from '../core/errors.js'
import { booleanValue, integerValue, stringValue, usageError, type CommandSpec, type FlagSpec, type ParsedArgs } from './args.js'

export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  { name: 'host', short: 'h', kind: 'string', valueName: 'HOST', description: 'broker host (default localhost)' },
  { name: 'port', short: 'p', kind: 'integer', min: 1, max: 65535, description: 'broker port (default 1883, 8883 with --cafile)' },
  { name: 'url', short: 'L', kind: 'string', valueName: 'URL', description: 'mqtt(s)://[user[:password]@]host[:port]/topic, or ws(s)://; overrides -h -p (and -t)' },
  { name: 'id', short: 'i', kind: 'string', valueName: 'ID', description: 'client id (default a random qosmos_ id)' },
  { name: 'username', short: 'u', kind: 'string', valueName: 'USER', description: 'user name' },
  { name: 'pw', short: 'P', kind: 'string', valueName: 'PASSWORD', description: 'password' },
  { name: 'protocol-version', short: 'V', kind: 'enum', values: ['mqttv5', 'mqttv311', 'mqttv31', '5', '311', '31'], description: 'MQTT version (default mqttv5)' },
  { name: 'qos', short: 'q', kind: 'integer', min: 0, max: 2, description: 'quality of service 0, 1 or 2 (default 0)' },
  { name: 'keepalive', short: 'k', kind: 'integer', min: 0, max: 65535, description: 'keep alive in seconds (default 60)' },
  { name: 'disable-clean-session', short: 'c', kind: 'boolean', description: 'keep the session after disconnecting (needs -i)' },
  { name: 'cafile', kind: 'string', valueName: 'FILE', description: 'CA certificate(s) to verify the broker with; implies mqtts' },
  { name: 'cert', kind: 'string', valueName: 'FILE', description: 'client certificate for TLS' },
  { name: 'key', kind: 'string', valueName: 'FILE', description: 'client private key for TLS' },
  { name: 'insecure', kind: 'boolean', description: 'do not verify the broker certificate' },
  { name: 'debug', short: 'd', kind: 'boolean', description: 'print connection events on stderr' }
]

export interface ConnectionSettings {
  readonly url: string
  readonly options: ClientOptions
  /** A topic given in the -L URL path. */
  readonly urlTopic: string | undefined
  /** host:port, for messages. */
  readonly where: string
}

export async function connectionSettings (spec: CommandSpec, args: ParsedArgs): Promise<ConnectionSettings> {
  const cafile = stringValue(args, 'cafile')
  const cert = stringValue(args, 'cert')
  const key = stringValue(args, 'key')
  if ((cert === undefined) !== (key === undefined)) throw usageError(spec, '--cert and --key go together')
  const read = async (file: string | undefined, flag: string): Promise<Buffer | undefined> => {
    if (file === undefined) return undefined
    try { return await readFile(file) } catch (e) { throw usageError(spec, `${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`) }
  }
  const tls = { ca: await read(cafile, '--cafile'), cert: await read(cert, '--cert'), key: await read(key, '--key') }
  const secure = cafile !== undefined || cert !== undefined

  let url: string
  let urlTopic: string | undefined
  let username = stringValue(args, 'username')
  let password = stringValue(args, 'pw')
  const given = stringValue(args, 'url')
  if (given !== undefined) {
    let parsed: URL
    try { parsed = new URL(given) } catch { throw usageError(spec, `-L: not a URL: '${given}'`) }
    if (!['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:'].includes(parsed.protocol)) throw usageError(spec, `-L: unsupported scheme '${parsed.protocol}' (mqtt, mqtts, ws, wss)`)
    if (parsed.username !== '') username ??= decodeURIComponent(parsed.username)
    if (parsed.password !== '') password ??= decodeURIComponent(parsed.password)
    const ws = parsed.protocol === 'ws:' || parsed.protocol === 'wss:'
    const path = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
    if (!ws && path !== '') urlTopic = path
    url = ws ? `${parsed.protocol}//${parsed.host}${parsed.pathname}` : `${parsed.protocol}//${parsed.host}`
  } else {
    const host = stringValue(args, 'host') ?? 'localhost'
    const port = integerValue(args, 'port') ?? (secure ? 8883 : 1883)
    url = `${secure ? 'mqtts' : 'mqtt'}://${host.includes(':') ? `[${host}]` : host}:${port}`
  }
  const clean = !booleanValue(args, 'disable-clean-session')
  const clientId = stringValue(args, 'id')
  if (!clean && clientId === undefined) throw usageError(spec, '-c needs a client id (-i)')
  const version = stringValue(args, 'protocol-version')
  const options: ClientOptions = {
    protocolVersion: version === '311' || version === 'mqttv311' ? 4 : version === '31' || version === 'mqttv31' ? 3 : 5,
    reconnect: false,
    clean,
    connectTimeout: 10_000,
    ...(clientId === undefined ? {} : { clientId }),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(integerValue(args, 'keepalive') === undefined ? {} : { keepAlive: integerValue(args, 'keepalive') as number }),
    ...(!clean ? { properties: { sessionExpiryInterval: 0xffffffff } } : {}),
    tls: {
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
      ...(booleanValue(args, 'insecure') ? { rejectUnauthorized: false } : {})
    }
  }
  return { url, options, urlTopic, where: new URL(url).host }
}

/** The one line a failed connection gives, naming the command. */
export function connectFailure (command: string, where: string, error: unknown): string {
  if (error instanceof ConnectionRefusedError) return `qosmos ${command}: connection refused by ${where}: ${refusalText(error)}`
  const code = (error as NodeJS.ErrnoException).code
  const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error)
  if (error instanceof QosmosError) return `qosmos ${command}: ${where}: ${message}`
  return `qosmos ${command}: cannot connect to ${where}: ${code === undefined ? message : `${message}`}`
}

const REFUSALS: Readonly<Record<number, string>> = {
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method'
}

function refusalText (error: ConnectionRefusedError): string {
  const code = error.reasonCode ?? 0x80
  const text = REFUSALS[code] ?? 'refused'
  return error.returnCode !== undefined ? `${text} (return code ${error.returnCode})` : `${text} (reason code 0x${code.toString(16)})`
}

export function debugLog (enabled: boolean, err: (line: string) => void): (line: string) => void {
  return enabled ? (line) => { err(`debug: ${line}`) } : () => {}
}
