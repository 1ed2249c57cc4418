/**
 * The load process: forked once by bench/run.ts, it runs one scenario at a time on request (IPC)
 * and answers with what it measured. It never outlives its parent: a lost IPC channel ends it.
 */
import type { FromLoad, ScenarioResult, ScenarioSpec, ToLoad } from '../lib/types.js'
import { destroyLeftovers } from './common.js'
import { runFlow } from './flow-scenario.js'
import { runIdle, runRetained } from './idle-retained.js'

function reply (message: FromLoad): void {
  process.send?.(message)
}

async function run (spec: ScenarioSpec): Promise<ScenarioResult> {
  switch (spec.scenario) {
    case 'fanin':
    case 'fanout':
    case 'latency':
      return await runFlow(spec)
    case 'idle':
      return await runIdle(spec)
    case 'retained':
      return await runRetained(spec)
  }
}

if (process.send === undefined) {
  console.error('bench/load/main.ts is started by bench/run.ts (it needs an IPC channel)')
  process.exit(2)
}

let queue = Promise.resolve()

process.on('message', (message: ToLoad) => {
  if (message.type === 'exit') {
    destroyLeftovers()
    process.disconnect()
    return
  }
  queue = queue.then(async () => {
    try {
      reply({ type: 'result', id: message.id, result: await run(message.spec) })
    } catch (err) {
      reply({ type: 'error', id: message.id, message: err instanceof Error ? err.message : String(err) })
    } finally {
      destroyLeftovers()
    }
  })
})

process.on('disconnect', () => {
  destroyLeftovers()
  setTimeout(() => process.exit(0), 100).unref()
})

reply({ type: 'ready' })
