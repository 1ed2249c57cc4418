import test from 'ava'
import { QosmosError, StorageError } from '../../lib/core/errors.js'
import { FakeIo, Gate, RecordingStore, harness, message, publishPacket, type Harness } from './_harness.js'

function attached (): Harness {
  const h = harness()
  h.session.attach(h.io, { resumed: false })
  h.log.length = 0
  return h
}

for (const async of [false, true]) {
  const how = async ? 'rejecting' : 'throwing'

  test(`a ${how} inboundFlowStarted: no PUBREC, nothing delivered, onError gets a StorageError with the cause`, async t => {
    const h = attached()
    const cause = new Error('disk full')
    h.store.fail = { call: 'inboundFlowStarted', error: cause, async }
    h.session.receive(publishPacket('in', 2, 4))
    await new Gate().releaseAll()
    t.deepEqual(h.io.lines, [])
    t.deepEqual(h.io.delivered, [])
    t.is(h.errors.length, 1)
    t.true(h.errors[0] instanceof StorageError)
    t.is(h.errors[0]?.cause, cause)
  })

  test(`a ${how} outboundFlowChanged: the PUBLISH is not sent; the flow stays and is resent on resume`, async t => {
    const h = attached()
    h.store.fail = { call: 'outboundFlowChanged', error: new StorageError('down'), async }
    h.session.publish(message('out', 1), h.done('out'))
    await new Gate().releaseAll()
    t.deepEqual(h.io.lines, [])
    t.true(h.errors[0] instanceof StorageError)
    t.false(h.outcomes.has('out'))
    h.session.detach()
    const io = new FakeIo()
    h.session.attach(io, { resumed: true })
    t.deepEqual(io.lines, ['send publish 1 dup out'])
  })

  test(`a ${how} PUBREC persist (AwaitingPubcomp): no PUBREL until resume`, async t => {
    const h = attached()
    h.session.publish(message('out', 2))
    h.store.fail = { call: 'outboundFlowChanged', error: new StorageError('down'), async }
    h.session.receive({ type: 'pubrec', packetId: 1, reasonCode: 0 })
    await new Gate().releaseAll()
    t.deepEqual(h.io.lines, ['send publish 1 out'])
    t.is(h.errors.length, 1)
  })
}

test('a failing delivery of QoS 1: no PUBACK, the error goes to onError as it was thrown', t => {
  const h = attached()
  const error = new Error('router broke')
  h.io.failTopic = { topic: 'bad', error }
  h.session.receive(publishPacket('bad', 1, 1))
  t.deepEqual(h.io.lines, [])
  t.deepEqual(h.errors, [error])
})

test('after a failure the connection sends nothing more, later lists still reach the store; a new connection sends again', t => {
  const h = attached()
  h.store.fail = { call: 'inboundFlowStarted', error: new StorageError('down') }
  h.session.receive(publishPacket('first', 2, 1))
  h.session.receive(publishPacket('second', 1, 2))
  h.session.publish(message('out', 1))
  t.deepEqual(h.io.lines, [])
  t.deepEqual(h.io.delivered.map(d => d.message.topic), ['second'])
  t.true(h.log.includes('store outboundFlowChanged 1 AwaitingPuback'))
  h.session.detach()
  const io = new FakeIo()
  h.session.attach(io, { resumed: true })
  t.deepEqual(io.lines, ['send publish 1 dup out'])
})

test('a QoS 2 flow whose storage failed is forgotten, so the peer\'s resend is delivered (not acknowledged without delivery)', t => {
  const h = attached()
  h.store.fail = { call: 'inboundFlowStarted', error: new StorageError('down') }
  h.session.receive(publishPacket('in', 2, 4))
  t.is(h.session.stats.inflightInbound, 0)
  t.true(h.log.includes('store inboundFlowEnded 4'), 'the undo reaches the store too')
  h.session.detach()
  const io = new FakeIo()
  h.session.attach(io, { resumed: true })
  h.session.receive(publishPacket('in', 2, 4, true))
  t.deepEqual(io.delivered.map(d => d.message.topic), ['in'])
  t.deepEqual(io.lines, ['send pubrec 4'])
})

test('a QoS 2 flow whose delivery failed is forgotten (table and store), so the resend is delivered', async t => {
  const h = attached()
  h.io.failTopic = { topic: 'in', error: new Error('no route') }
  h.session.receive(publishPacket('in', 2, 4))
  t.deepEqual(h.log, ['store inboundFlowStarted 4', 'deliver in', 'store inboundFlowEnded 4'])
  t.deepEqual(await h.store.inner.restoreFlows(), { outbound: [], inbound: [] })
  h.session.detach()
  const io = new FakeIo()
  h.session.attach(io, { resumed: true })
  h.session.receive(publishPacket('in', 2, 4, true))
  t.deepEqual(io.delivered.map(d => d.message.topic), ['in'])
})

test('a QoS 2 flow whose PUBREC write failed after delivery is kept: the resend is acknowledged, not delivered twice', t => {
  const h = attached()
  const io = h.io
  const send = io.send.bind(io)
  let failOnce = true
  io.send = (packet) => {
    if (failOnce && packet.type === 'pubrec') { failOnce = false; throw new Error('socket gone') }
    send(packet)
  }
  h.session.receive(publishPacket('in', 2, 4))
  t.is(h.session.stats.inflightInbound, 1)
  h.session.detach()
  const io2 = new FakeIo()
  h.session.attach(io2, { resumed: true })
  h.session.receive(publishPacket('in', 2, 4, true))
  t.deepEqual(io2.delivered, [])
  t.deepEqual(io2.lines, ['send pubrec 4'])
  t.is(io.delivered.length, 1)
})

test('a failing outboundFlowEnded: done gets the peer\'s outcome, the id stays reserved, onError gets the failure', async t => {
  const h = attached()
  h.session.publish(message('a', 1), h.done('a'))
  h.store.fail = { call: 'outboundFlowEnded', error: new StorageError('down'), async: true }
  h.session.receive({ type: 'puback', packetId: 1, reasonCode: 0 })
  await new Gate().releaseAll()
  t.true(h.outcomes.has('a'))
  t.is(h.outcomes.get('a'), undefined)
  t.is(h.errors.length, 1)
  // Id 1 is still held (the store has the flow); fill the id space and check it is not handed out.
  const ids = new Set<number>()
  for (let i = 0; i < 65534; i++) ids.add(h.session.allocatePacketId())
  t.false(ids.has(1))
})

test('a non-Error thrown by the store is wrapped in a StorageError; a QosmosError is passed as it is', t => {
  const h = attached()
  h.store.fail = { call: 'inboundFlowStarted', error: 'just a string' }
  h.session.receive(publishPacket('a', 2, 1))
  const own = new StorageError('own')
  h.session.detach()
  h.session.attach(h.io, { resumed: true })
  h.store.fail = { call: 'inboundFlowStarted', error: own }
  h.session.receive(publishPacket('b', 2, 2))
  t.true(h.errors[0] instanceof StorageError)
  t.regex(h.errors[0]?.message ?? '', /just a string/)
  t.is(h.errors[1], own)
  t.true(h.errors.every(e => e instanceof QosmosError))
})

test('a QoS 0 publication whose write throws: done gets the error, and onError too', t => {
  const h = attached()
  const error = new Error('write failed')
  h.io.send = () => { throw error }
  h.session.publish(message('zero', 0), h.done('zero'))
  t.is(h.outcomes.get('zero'), error)
  t.deepEqual(h.errors, [error])
})

test('without onError a failure is rethrown asynchronously, never silent', async t => {
  const { Session } = await import('../../lib/session/session.js')
  const store = new RecordingStore()
  store.fail = { call: 'inboundFlowStarted', error: new StorageError('down') }
  const session = new Session({ store })
  session.attach(new FakeIo(), { resumed: true })
  const listeners = process.listeners('uncaughtException')
  process.removeAllListeners('uncaughtException')
  const uncaught = new Promise<unknown>((resolve) => {
    process.once('uncaughtException', (error) => {
      for (const l of listeners) process.on('uncaughtException', l)
      resolve(error)
    })
  })
  session.receive(publishPacket('a', 2, 1))
  t.true(await uncaught instanceof StorageError)
})
