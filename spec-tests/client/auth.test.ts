import test from 'ava'
import { connect } from '../../lib/client/index.js'
import { fakeServer } from './_fake-server.js'

test('v5 [MQTT-3.1.2-30] [MQTT-4.12.0-3] [MQTT-4.12.0-5] during enhanced authentication the client sends only AUTH 0x18 with the CONNECT\'s method before CONNACK', async t => {
  const s = await fakeServer(t)
  const challenges: string[] = []
  const pending = connect(s.url, {
    reconnect: false,
    authenticationMethod: 'SCRAM-TEST',
    authenticationData: Buffer.from('client-first'),
    onAuth: ({ data }) => { challenges.push(data?.toString() ?? ''); return Buffer.from(`answer-${challenges.length}`) }
  })
  const peer = await s.accept()
  const packet = await peer.expect('connect')
  t.is(packet.properties?.authenticationMethod, 'SCRAM-TEST')
  const challenge = (n: number): void => { peer.send({ type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-TEST', authenticationData: Buffer.from(`challenge-${n}`) } }) }
  challenge(1)
  const first = await peer.expect('auth')
  t.deepEqual([first.reasonCode, first.properties?.authenticationMethod, first.properties?.authenticationData?.toString()], [0x18, 'SCRAM-TEST', 'answer-1'])
  challenge(2)
  const second = await peer.expect('auth')
  t.deepEqual([second.reasonCode, second.properties?.authenticationMethod, second.properties?.authenticationData?.toString()], [0x18, 'SCRAM-TEST', 'answer-2'])
  peer.send({ type: 'connack', sessionPresent: false, reasonCode: 0, properties: { authenticationMethod: 'SCRAM-TEST' } })
  const client = await pending
  t.deepEqual(challenges, ['challenge-1', 'challenge-2'])
  t.deepEqual(peer.received.map(p => p.type), ['connect', 'auth', 'auth'])
  await client.end()
})

test('v5 [MQTT-4.12.0-7] a client that gave no Authentication Method never sends AUTH: an AUTH from the server is a protocol error (DISCONNECT 0x82)', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false })
  const peer = await s.accept()
  await peer.expect('connect')
  peer.send({ type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'X' } })
  t.is((await peer.expect('disconnect')).reasonCode, 0x82)
  await t.throwsAsync(pending)
  t.false(peer.received.some(p => p.type === 'auth'))
})

test('v5 [MQTT-4.12.1-1] re-authentication sends AUTH 0x19 with the original Authentication Method, and answers challenges with 0x18', async t => {
  const s = await fakeServer(t)
  const pending = connect(s.url, { reconnect: false, authenticationMethod: 'TOKEN', onAuth: () => Buffer.from('more') })
  const peer = await s.accept()
  await peer.handshake({ authenticationMethod: 'TOKEN' })
  const client = await pending
  t.teardown(async () => { await client.end({ force: true }) })
  client.reauthenticate(Buffer.from('new-token'))
  const auth = await peer.expect('auth')
  t.deepEqual([auth.reasonCode, auth.properties?.authenticationMethod, auth.properties?.authenticationData?.toString()], [0x19, 'TOKEN', 'new-token'])
  peer.send({ type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'TOKEN' } })
  const answer = await peer.expect('auth')
  t.deepEqual([answer.reasonCode, answer.properties?.authenticationMethod], [0x18, 'TOKEN'])
  peer.send({ type: 'auth', reasonCode: 0x00, properties: { authenticationMethod: 'TOKEN' } })
  await client.publish('still', 'connected')
  t.is((await peer.expect('publish')).topic, 'still')
})
