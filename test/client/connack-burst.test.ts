/**
 * A resumed session's queued messages often arrive in the same TCP chunk as the CONNACK (Mosquitto
 * writes them together). connect() resolves on that CONNACK, so the application can only add its
 * 'message' listener afterwards: the client must not deliver (and acknowledge) those messages
 * before then, or they are lost. Found by the interop test against Mosquitto
 * (interop/client-vs-mosquitto.test.ts, session-resume).
 */
import test from 'ava'
import { connect } from '../../lib/client/index.js'
import { encode, PacketDecoder } from '../../lib/protocol/index.js'
import type { Packet } from '../../lib/protocol/packets.js'
import { createMemoryPair } from '../../lib/transport/memory.js'
import { within } from './_helpers.js'

for (const version of [5, 4] as const) {
  test(`v${version}: messages in the same chunk as the first CONNACK reach a 'message' listener added after connect() resolved, then are acknowledged`, async t => {
    const [clientEnd, serverEnd] = createMemoryPair()
    const decoder = new PacketDecoder({ protocolVersion: version })
    const fromClient: Packet[] = []
    let wake: (() => void) | undefined
    serverEnd.on('data', (chunk: Buffer) => {
      const { packets } = decoder.push(chunk)
      for (const p of packets) {
        fromClient.push(p)
        if (p.type === 'connect') {
          // CONNACK (session present) and two queued PUBLISH packets, written as one chunk.
          serverEnd.write(Buffer.concat([
            encode({ type: 'connack', sessionPresent: true, reasonCode: 0 }, version),
            encode({ type: 'publish', topic: 's/1', payload: Buffer.from('one'), qos: 1, packetId: 7, retain: false, dup: false }, version),
            encode({ type: 'publish', topic: 's/2', payload: Buffer.from('two'), qos: 2, packetId: 8, retain: false, dup: false }, version)
          ]))
        }
      }
      wake?.()
    })
    const client = await connect(undefined, {
      protocolVersion: version, clientId: `burst-${version}`, clean: false, reconnect: false, stream: clientEnd,
      ...(version === 5 ? { properties: { sessionExpiryInterval: 60 } } : {})
    })
    t.teardown(() => client.end({ force: true }))
    const got: string[] = []
    client.on('message', (topic, payload) => { got.push(`${topic}=${payload.toString()}`) })
    await within(new Promise<void>(resolve => {
      wake = () => { if (fromClient.some(p => p.type === 'pubrec')) resolve() }
      wake()
    }), 5000, 'PUBREC')
    t.deepEqual(got, ['s/1=one', 's/2=two'], 'both queued messages reached the listener, in order')
    t.deepEqual(fromClient.filter(p => p.type !== 'connect').map(p => [p.type, 'packetId' in p ? p.packetId : undefined]), [['puback', 7], ['pubrec', 8]], 'and were acknowledged after that')
  })
}
