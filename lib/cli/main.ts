/** The `qosmos` command: `qosmos <command> [options]`. */
import { InvalidArgumentError } from '../core/errors.js'
import { formatUsage } from './args.js'
import { runBrokerCommand } from './broker-command.js'
import type { BrokerCommandDeps, CreateBroker } from './broker-command.js'
import { BROKER_SPEC } from './broker-config.js'
import { PASSWD_SPEC, runPasswdCommand } from './passwd-command.js'
import type { PasswdDeps } from './passwd-command.js'
import { PUB_SPEC, runPubCommand } from './pub-command.js'
import { runSubCommand, SUB_SPEC, type SubDeps } from './sub-command.js'

const USAGE = `usage: qosmos <command> [options]

commands:
  broker    run an MQTT 3.1, 3.1.1 and 5.0 broker
  passwd    add, change or delete a user in a password file
  pub       publish a message (as mosquitto_pub)
  sub       subscribe and print messages (as mosquitto_sub)
  help      show this text, or 'qosmos help <command>'

Run 'qosmos <command> --help' for the options of a command.`

export interface MainDeps {
  readonly out?: (line: string) => void
  readonly err?: (line: string) => void
  /** Overrides for the broker command (tests); createBroker defaults to lib/broker's. */
  readonly broker?: Partial<BrokerCommandDeps>
  readonly passwd?: PasswdDeps
  /** For pub and sub (tests): stdin, raw output, and when `sub` should stop. */
  readonly client?: Partial<Pick<SubDeps, 'stdin' | 'write' | 'stopped'>>
}

/**
 * lib/broker/index.ts's createBroker, loaded when `qosmos broker` runs. The specifier is not a
 * literal so that this file compiles before the broker module exists.
 */
async function loadCreateBroker (): Promise<CreateBroker> {
  const specifier = '../broker/index.js'
  let mod: { createBroker?: unknown }
  try {
    mod = await import(specifier) as { createBroker?: unknown }
  } catch (err) {
    throw new Error(`qosmos broker: the broker module could not be loaded (${err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err)})`)
  }
  if (typeof mod.createBroker !== 'function') throw new Error('qosmos broker: lib/broker does not export createBroker')
  return mod.createBroker as CreateBroker
}

/**
 * Runs the CLI; resolves with the exit code, or undefined while a long-running command (the
 * broker) keeps the process alive. Usage errors print one line on stderr and give 2; other
 * failures print one line and give 1.
 */
export async function main (argv: readonly string[], deps: MainDeps = {}): Promise<number | undefined> {
  const out = deps.out ?? ((line: string) => { process.stdout.write(`${line}\n`) })
  const err = deps.err ?? ((line: string) => { process.stderr.write(`${line}\n`) })
  const [command, ...rest] = argv
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
        out(USAGE)
        return 0
      case 'help': {
        const topic = rest[0]
        if (topic === undefined) out(USAGE)
        else if (topic === 'broker') out(formatUsage(BROKER_SPEC))
        else if (topic === 'passwd') out(formatUsage(PASSWD_SPEC))
        else if (topic === 'pub') out(formatUsage(PUB_SPEC))
        else if (topic === 'sub') out(formatUsage(SUB_SPEC))
        else { err(`qosmos help: unknown command '${topic}' (try 'qosmos help')`); return 2 }
        return 0
      }
      case 'broker': {
        // Loaded only once the arguments are known to be good.
        const createBroker = deps.broker?.createBroker ?? (async options => (await loadCreateBroker())(options))
        const result = await runBrokerCommand(rest, { out, err, ...deps.broker, createBroker })
        return typeof result === 'number' ? result : undefined
      }
      case 'passwd':
        return await runPasswdCommand(rest, { out, ...deps.passwd })
      case 'pub':
        return await runPubCommand(rest, { out, err, ...deps.client })
      case 'sub':
        return await runSubCommand(rest, { out, err, stopped: deps.client?.stopped ?? interrupted(), ...deps.client })
      default:
        err(`qosmos: unknown command '${command}' (try 'qosmos help')`)
        return 2
    }
  } catch (e) {
    if (e instanceof InvalidArgumentError) { err(oneLine(e.message)); return 2 }
    err(oneLine(e instanceof Error ? e.message.startsWith('qosmos') ? e.message : `qosmos ${command ?? ''}: ${e.message}` : `qosmos: ${String(e)}`))
    return 1
  }
}

/** Resolves on the first SIGINT or SIGTERM (then the command ends cleanly, exit code 0). */
async function interrupted (): Promise<void> {
  await new Promise<void>(resolve => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve() }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}

function oneLine (message: string): string {
  return message.split('\n')[0] ?? ''
}
