import test from 'ava'
import { SerialRunner, type Job } from '../../lib/session/runner.js'
import { Gate } from './_harness.js'

type Step = { name: string, gate?: Gate, fail?: Error }
interface TestJob extends Job<Step> { readonly label: string }

function setup (): { runner: SerialRunner<Step, TestJob>, log: string[], job: (label: string, ...steps: Step[]) => TestJob } {
  const log: string[] = []
  const runner = new SerialRunner<Step, TestJob>({
    step (_job, step) {
      log.push(`start ${step.name}`)
      if (step.fail !== undefined) throw step.fail
      return step.gate?.hold().then(() => { log.push(`end ${step.name}`) })
    },
    completed (job) { log.push(`completed ${job.label}`) },
    failed (job, step, error) { log.push(`failed ${job.label} at ${step.name}: ${(error as Error).message}`) }
  })
  return { runner, log, job: (label, ...steps) => ({ label, actions: steps, next: 0 }) }
}

test('synchronous steps run inline: the list has completed when enqueue returns', t => {
  const { runner, log, job } = setup()
  runner.enqueue(job('a', { name: 'a1' }, { name: 'a2' }))
  t.deepEqual(log, ['start a1', 'start a2', 'completed a'])
  t.is(runner.pending, 0)
})

test('a step returning a promise holds its list and every later list until it settles', async t => {
  const { runner, log, job } = setup()
  const gate = new Gate()
  runner.enqueue(job('a', { name: 'a1', gate }, { name: 'a2' }))
  runner.enqueue(job('b', { name: 'b1' }))
  t.deepEqual(log, ['start a1'])
  t.is(runner.pending, 2)
  await gate.releaseAll()
  t.deepEqual(log, ['start a1', 'end a1', 'start a2', 'completed a', 'start b1', 'completed b'])
})

test('a rejected step stops its list; the next list still runs', async t => {
  const { runner, log, job } = setup()
  const gate = new Gate()
  runner.enqueue(job('a', { name: 'a1', gate }, { name: 'a2' }))
  runner.enqueue(job('b', { name: 'b1' }))
  await gate.rejectOne(new Error('boom'))
  t.deepEqual(log, ['start a1', 'failed a at a1: boom', 'start b1', 'completed b'])
})

test('a thrown step stops its list; the next list still runs', t => {
  const { runner, log, job } = setup()
  runner.enqueue(job('a', { name: 'a1', fail: new Error('boom') }, { name: 'a2' }))
  runner.enqueue(job('b', { name: 'b1' }))
  t.deepEqual(log, ['start a1', 'failed a at a1: boom', 'start b1', 'completed b'])
})

test('enqueueNext puts a list behind the running one and ahead of the waiting ones', async t => {
  const { runner, log, job } = setup()
  const gate = new Gate()
  runner.enqueue(job('a', { name: 'a1', gate }))
  runner.enqueue(job('b', { name: 'b1' }))
  runner.enqueueNext(job('undo', { name: 'u1' }))
  await gate.releaseAll()
  t.deepEqual(log, ['start a1', 'end a1', 'completed a', 'start u1', 'completed undo', 'start b1', 'completed b'])
})

test('a list enqueued from inside a step waits for the running list to finish', t => {
  const log: string[] = []
  const runner: SerialRunner<string, Job<string>> = new SerialRunner<string, Job<string>>({
    step (_job, step) {
      log.push(step)
      if (step === 'a1') runner.enqueue({ actions: ['nested'], next: 0 })
    },
    completed () { log.push('done') },
    failed () { log.push('failed') }
  })
  runner.enqueue({ actions: ['a1', 'a2'], next: 0 })
  t.deepEqual(log, ['a1', 'a2', 'done', 'nested', 'done'])
})

test('a throwing completion handler does not wedge the runner', t => {
  const log: string[] = []
  let throwOnce = true
  const runner = new SerialRunner<string, Job<string>>({
    step (_job, step) { log.push(step) },
    completed () { if (throwOnce) { throwOnce = false; throw new Error('handler bug') } },
    failed () {}
  })
  // The throw reaches the caller, after the queue has moved on.
  t.throws(() => { runner.enqueue({ actions: ['a'], next: 0 }) }, { message: 'handler bug' })
  runner.enqueue({ actions: ['b'], next: 0 })
  t.deepEqual(log, ['a', 'b'])
  t.is(runner.pending, 0)
})
