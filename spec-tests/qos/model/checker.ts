/**
 * Bounded exhaustive model check: breadth-first over every interleaving of the steps in
 * world.ts (start the next message, deliver the head packet of either channel, break the
 * connection while breaks remain, reconnect with session resume), with a visited set over the
 * canonical text of the global state. The space is finite because the messages are finite and
 * the number of breaks is bounded. Breadth-first, so a reported violation comes with a
 * shortest trace.
 */
import {
  Violation, applyStep, checkTerminal, cloneWorld, enabledSteps, initialWorld, isTerminal, stepLabel, worldKey,
  type ModelConfig, type ViolationKind, type World
} from './world.js'

export interface CheckResult {
  readonly states: number
  readonly terminal: number
  readonly transitions: number
  readonly violation?: { readonly kind: ViolationKind, readonly message: string, readonly trace: readonly string[] }
}

interface Seen { readonly parent: string | undefined, readonly label: string }

export function modelCheck (config: ModelConfig, maxStates = 3_000_000): CheckResult {
  const first = initialWorld(config)
  const firstKey = worldKey(first)
  const seen = new Map<string, Seen>([[firstKey, { parent: undefined, label: 'init' }]])
  const queue: Array<{ world: World, key: string } | undefined> = [{ world: first, key: firstKey }]
  let terminal = 0
  let transitions = 0

  const traceTo = (key: string | undefined): string[] => {
    const labels: string[] = []
    for (let k = key; k !== undefined;) {
      const s = seen.get(k)
      if (s === undefined) break
      labels.push(s.label)
      k = s.parent
    }
    return labels.reverse()
  }
  const fail = (error: unknown, key: string, label?: string): CheckResult => {
    if (!(error instanceof Violation)) throw error
    const trace = traceTo(key)
    if (label !== undefined) trace.push(label)
    return { states: seen.size, terminal, transitions, violation: { kind: error.kind, message: error.message, trace } }
  }

  for (let head = 0; head < queue.length; head++) {
    const item = queue[head]
    queue[head] = undefined
    if (item === undefined) continue
    const { world, key } = item
    if (isTerminal(world, config)) {
      terminal++
      try { checkTerminal(world, config) } catch (error) { return fail(error, key) }
      continue
    }
    const steps = enabledSteps(world, config)
    if (steps.length === 0) {
      return fail(new Violation('deadlock', `no step is possible but the run is not finished: ${key}`), key)
    }
    for (const step of steps) {
      transitions++
      const next = cloneWorld(world)
      let label = stepLabel(world, step)
      try {
        label = applyStep(next, config, step)
      } catch (error) {
        return fail(error, key, label)
      }
      const nextKey = worldKey(next)
      if (seen.has(nextKey)) continue
      seen.set(nextKey, { parent: key, label })
      if (seen.size > maxStates) throw new Error(`model check exceeded ${maxStates} states`)
      queue.push({ world: next, key: nextKey })
    }
  }
  return { states: seen.size, terminal, transitions }
}
