/** The `qosmos` command: `qosmos <command> [options]`. */
const USAGE = `usage: qosmos <command> [options]

commands:
  broker    run an MQTT 3.1, 3.1.1 and 5.0 broker
  help      show this text

Run 'qosmos <command> --help' for the options of a command.`

/** Runs the CLI; resolves with the exit code (undefined when a long-running command keeps the process). */
export async function main (argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE)
      return 0
    case 'broker':
      console.log(USAGE)
      console.log(`\nqosmos broker: not available in this build yet (options given: ${rest.join(' ') || 'none'})`)
      return 0
    default:
      console.error(`qosmos: unknown command '${command}' (try 'qosmos help')`)
      return 2
  }
}
