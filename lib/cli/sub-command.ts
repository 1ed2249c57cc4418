/**
 * `qosmos sub`: subscribes and prints messages, with the flags of mosquitto_sub. Exit codes:
 * 0 ended normally (-C count reached, or interrupted); 1 unreachable broker, refused connection,
 * refused subscription or lost connection; 2 usage error; 27 the -W timeout passed first
 * (as mosquitto_sub).
 */
import { connect, type Client } from '../client/index.js'
import { SubscribeRejectedError } from '../core/errors.js'
import type { QoS } from '../protocol/packets.js'
import { booleanValue, formatUsage, integerValue, parseArgs, usageError, type CommandSpec } from './args.js'
import { CONNECTION_FLAGS, connectFailure, connectionSettings, debugLog } from './client-flags.js'
import type { ClientCommandDeps } from './pub-command.js'

export const SUB_SPEC: CommandSpec = {
  command: 'sub',
  synopsis: 'qosmos sub -t TOPIC [-t TOPIC ...] [options]',
  summary: 'Subscribes to topics on an MQTT broker and prints the messages, as mosquitto_sub.',
  positionals: { min: 0, max: 0 },
  flags: [
    ...CONNECTION_FLAGS,
    { name: 'topic', short: 't', kind: 'string', valueName: 'FILTER', repeatable: true, description: 'topic filter to subscribe to (repeatable)' },
    { name: 'verbose', short: 'v', kind: 'boolean', description: 'print "topic payload" instead of the payload alone' },
    { name: 'count', short: 'C', kind: 'integer', min: 1, max: 2 ** 31, description: 'exit after receiving this many messages' },
    { name: 'timeout', short: 'W', kind: 'integer', min: 1, max: 2 ** 31, description: 'exit (code 27) after this many seconds without reaching -C' },
    { name: 'no-newline', short: 'N', kind: 'boolean', description: 'do not add a newline after each message' },
    { name: 'retained-only', short: 'R', kind: 'boolean', description: 'do not print stale (retained) messages' }
  ],
  epilogue: 'Exit codes: 0 done, 1 connection or subscription failed, 2 usage error, 27 -W timeout.'
}

export const EXIT_TIMEOUT = 27

export interface SubDeps extends ClientCommandDeps {
  /** Resolves when the command should stop (SIGINT/SIGTERM by default). */
  readonly stopped?: Promise<void>
}

export async function runSubCommand (argv: readonly string[], deps: SubDeps): Promise<number> {
  const args = parseArgs(SUB_SPEC, argv)
  if (args.help) { deps.out(formatUsage(SUB_SPEC)); return 0 }
  const settings = await connectionSettings(SUB_SPEC, args)
  const given = args.values.get('topic')
  const filters = Array.isArray(given) ? given as string[] : settings.urlTopic === undefined ? [] : [settings.urlTopic]
  if (filters.length === 0) throw usageError(SUB_SPEC, 'a topic filter is needed (-t FILTER)')
  const qos = (integerValue(args, 'qos') ?? 0) as QoS
  const count = integerValue(args, 'count')
  const timeout = integerValue(args, 'timeout')
  const verbose = booleanValue(args, 'verbose')
  const newline = !booleanValue(args, 'no-newline')
  const skipRetained = booleanValue(args, 'retained-only')
  const debug = debugLog(booleanValue(args, 'debug'), deps.err)

  let client: Client
  try {
    client = await connect(settings.url, settings.options)
  } catch (error) {
    deps.err(connectFailure('sub', settings.where, error))
    return 1
  }
  debug(`connected to ${settings.where} as ${client.clientId}`)
  const write = deps.write ?? ((text: string) => { process.stdout.write(text) })
  return await new Promise<number>(resolve => {
    let received = 0
    let timer: NodeJS.Timeout | undefined
    const finish = (code: number, message?: string): void => {
      if (timer !== undefined) clearTimeout(timer)
      if (message !== undefined) deps.err(message)
      client.removeAllListeners('close')
      client.end().then(() => resolve(code), () => resolve(code))
    }
    client.on('message', (topic, payload, message) => {
      if (skipRetained && message.retain) return
      const text = verbose ? `${topic} ${payload.toString()}` : payload.toString()
      if (newline) deps.out(text)
      else write(text)
      received++
      if (count !== undefined && received >= count) finish(0)
    })
    client.on('close', (error) => { finish(1, `qosmos sub: connection to ${settings.where} lost${error === undefined ? '' : `: ${error.message}`}`) })
    if (timeout !== undefined) timer = setTimeout(() => { finish(EXIT_TIMEOUT, `qosmos sub: timed out after ${timeout} s`) }, timeout * 1000)
    void deps.stopped?.then(() => { finish(0) })
    client.subscribe(filters, { qos }).then(sub => {
      sub.close() // printed from the 'message' listener; the iterator would only buffer
      debug(`subscribed: ${filters.map((f, i) => `${f} (${String(sub.granted[i])})`).join(', ')}`)
    }, (error: Error) => {
      finish(1, `qosmos sub: ${error instanceof SubscribeRejectedError ? 'subscription refused' : 'subscribe failed'}: ${error.message}`)
    })
  })
}
