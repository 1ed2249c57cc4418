/**
 * The contract every Node broker server script follows: listen on 127.0.0.1 (port from
 * `--port N`, default 0 = any free port), print `READY <port>` on stdout once listening, and
 * close cleanly on SIGTERM or SIGINT, or when the parent that started it goes away.
 */

export interface Served {
  readonly port: number
  close (): Promise<void>
}

export function requestedPort (argv: readonly string[] = process.argv): number {
  const index = argv.indexOf('--port')
  const value = index >= 0 ? Number(argv[index + 1]) : 0
  return Number.isInteger(value) && value >= 0 && value < 65536 ? value : 0
}

export async function serve (name: string, start: (port: number) => Promise<Served>): Promise<void> {
  let served: Served
  try {
    served = await start(requestedPort())
  } catch (err) {
    console.error(`${name} failed to start: ${err instanceof Error ? err.message : String(err)}`)
    if (process.env.BENCH_DEBUG !== undefined && err instanceof Error) console.error(err.stack)
    process.exit(1)
  }
  process.stdout.write(`READY ${served.port}\n`)
  let closing = false
  const stop = (): void => {
    if (closing) return
    closing = true
    const force = setTimeout(() => process.exit(0), 2000)
    force.unref()
    served.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  // Started with an IPC channel or a stdin pipe by the harness: leave when the harness leaves.
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
}
