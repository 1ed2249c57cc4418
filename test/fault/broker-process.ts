/**
 * `qosmos broker` as a child process, run from source as test/cli/_run-main.ts runs it, on a
 * data directory: started, killed with SIGKILL, started again on the same directory.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const RUN = join(import.meta.dirname, '..', 'cli', '_run-main.ts')

export interface BrokerProcess {
  readonly child: ChildProcess
  readonly port: number
  readonly exited: Promise<number | string | null>
}

/** Starts the broker on `dataDir`; resolves once it listens (on a free port of 127.0.0.1). */
export async function startBrokerProcess (dataDir: string): Promise<BrokerProcess> {
  const child = spawn(process.execPath, ['--import=tsx', RUN, 'broker', '--host', '127.0.0.1', '--port', '0', '--log-level', 'silent', '--sys-interval', '0', '--max-queued-messages', '1000000', '--max-queued-bytes', '4000000000', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const exited = new Promise<number | string | null>(resolve => child.once('exit', (code, signal) => { resolve(code ?? signal) }))
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const m = /listening on mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m !== null) resolve(Number(m[1]))
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    void exited.then(code => { reject(new Error(`the broker exited with ${String(code)}: ${out}`)) })
    setTimeout(() => { reject(new Error(`the broker was not listening after 30 s: ${out}`)) }, 30_000).unref()
  })
  return { child, port, exited }
}

export async function killBroker (broker: BrokerProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (broker.child.exitCode === null && broker.child.signalCode === null) broker.child.kill(signal)
  await broker.exited
}
