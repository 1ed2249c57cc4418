/**
 * `qosmos pub`: publishes one message (-m, -f, -n, -s) or one per line of stdin (-l), with the
 * flags of mosquitto_pub. Exit codes: 0 every message met its QoS guarantee; 1 the broker was
 * unreachable, refused the connection, or refused a message; 2 a usage error.
 */
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { connect, type Client } from '../client/index.js'
import { QosmosError } from '../core/errors.js'
import type { QoS } from '../protocol/packets.js'
import { booleanValue, formatUsage, integerValue, parseArgs, stringValue, usageError, type CommandSpec } from './args.js'
import { CONNECTION_FLAGS, connectFailure, connectionSettings, debugLog } from './client-flags.js'

export const PUB_SPEC: CommandSpec = {
  command: 'pub',
  synopsis: 'qosmos pub -t TOPIC (-m MESSAGE | -f FILE | -l | -n | -s) [options]',
  summary: 'Publishes a message to an MQTT broker, as mosquitto_pub.',
  positionals: { min: 0, max: 0 },
  flags: [
    ...CONNECTION_FLAGS,
    { name: 'topic', short: 't', kind: 'string', valueName: 'TOPIC', description: 'topic to publish to' },
    { name: 'message', short: 'm', kind: 'string', valueName: 'MESSAGE', description: 'the message' },
    { name: 'file', short: 'f', kind: 'string', valueName: 'FILE', description: 'send the content of FILE as the message' },
    { name: 'stdin-line', short: 'l', kind: 'boolean', description: 'send each line of stdin as a message' },
    { name: 'stdin-file', short: 's', kind: 'boolean', description: 'send all of stdin as one message' },
    { name: 'null-message', short: 'n', kind: 'boolean', description: 'send an empty message' },
    { name: 'retain', short: 'r', kind: 'boolean', description: 'retain the message' }
  ],
  epilogue: 'Exit codes: 0 published (QoS 1: PUBACK, QoS 2: PUBCOMP received), 1 connection or publication failed, 2 usage error.'
}

export interface ClientCommandDeps {
  readonly out: (line: string) => void
  readonly err: (line: string) => void
  /** stdin, for -l and -s. */
  readonly stdin?: Readable
  /** Output without a trailing newline (sub -N). */
  readonly write?: (text: string) => void
}

export async function runPubCommand (argv: readonly string[], deps: ClientCommandDeps): Promise<number> {
  const args = parseArgs(PUB_SPEC, argv)
  if (args.help) { deps.out(formatUsage(PUB_SPEC)); return 0 }
  const settings = await connectionSettings(PUB_SPEC, args)
  const topic = stringValue(args, 'topic') ?? settings.urlTopic
  if (topic === undefined) throw usageError(PUB_SPEC, 'a topic is needed (-t TOPIC)')
  const sources = ['message', 'file', 'stdin-line', 'stdin-file', 'null-message'].filter(name => args.values.has(name))
  if (sources.length !== 1) throw usageError(PUB_SPEC, sources.length === 0 ? 'one of -m, -f, -l, -s or -n is needed' : `only one of -m, -f, -l, -s, -n may be given (got ${sources.map(s => `--${s}`).join(', ')})`)
  const qos = (integerValue(args, 'qos') ?? 0) as QoS
  const retain = booleanValue(args, 'retain')
  const debug = debugLog(booleanValue(args, 'debug'), deps.err)

  let single: Buffer | undefined
  const source = sources[0]
  if (source === 'message') single = Buffer.from(stringValue(args, 'message') ?? '')
  else if (source === 'null-message') single = Buffer.alloc(0)
  else if (source === 'file') {
    const file = stringValue(args, 'file') as string
    try { single = await readFile(file) } catch (e) { throw usageError(PUB_SPEC, `-f ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`) }
  } else if (source === 'stdin-file') single = await readAll(deps.stdin ?? process.stdin)

  let client: Client
  try {
    client = await connect(settings.url, settings.options)
  } catch (error) {
    deps.err(connectFailure('pub', settings.where, error))
    return 1
  }
  debug(`connected to ${settings.where} as ${client.clientId}`)
  try {
    if (single !== undefined) {
      await client.publish(topic, single, { qos, retain })
    } else {
      const lines = createInterface({ input: deps.stdin ?? process.stdin, terminal: false })
      for await (const line of lines) await client.publish(topic, line, { qos, retain })
    }
    debug('published')
    await client.end()
    return 0
  } catch (error) {
    deps.err(`qosmos pub: ${error instanceof QosmosError || error instanceof Error ? error.message : String(error)}`)
    await client.end({ force: true })
    return 1
  }
}

async function readAll (stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer)
  return Buffer.concat(chunks)
}
