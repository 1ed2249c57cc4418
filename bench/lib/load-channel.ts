/** The harness's side of the IPC channel to the load process: one request at a time, bounded. */
import type { ChildProcess } from 'node:child_process'
import { startLoadProcess, stopChild } from './processes.js'
import type { FromLoad, ScenarioResult, ScenarioSpec, ToLoad } from './types.js'

export class LoadChannel {
  #child: ChildProcess | undefined
  #nextId = 1

  /** Runs one scenario; a load process that times out or dies is replaced for the next request. */
  async run (spec: ScenarioSpec, timeoutMs: number): Promise<ScenarioResult> {
    const child = this.#child ?? (this.#child = await startLoadProcess())
    const id = this.#nextId++
    try {
      return await new Promise<ScenarioResult>((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`load process gave no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs)
        const onMessage = (message: FromLoad): void => {
          if (message.type === 'result' && message.id === id) done(undefined, message.result)
          else if (message.type === 'error' && message.id === id) done(new Error(message.message))
        }
        const onExit = (code: number | null): void => done(new Error(`load process exited (${code ?? 'signal'})`))
        const done = (err: Error | undefined, result?: ScenarioResult): void => {
          clearTimeout(timer)
          child.off('message', onMessage)
          child.off('exit', onExit)
          if (err !== undefined || result === undefined) reject(err ?? new Error('no result'))
          else resolve(result)
        }
        child.on('message', onMessage)
        child.once('exit', onExit)
        const request: ToLoad = { type: 'run', id, spec }
        child.send(request)
      })
    } catch (err) {
      if (err instanceof Error && !err.message.startsWith('load process')) throw err
      await this.close()
      throw err
    }
  }

  async close (): Promise<void> {
    const child = this.#child
    this.#child = undefined
    if (child === undefined) return
    if (child.connected) {
      const exit: ToLoad = { type: 'exit' }
      child.send(exit)
    }
    await stopChild(child, 2000)
  }
}
