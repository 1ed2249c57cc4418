/**
 * MQTT 3.1.1 (and level 3) codec fixtures, every packet type, checked three ways. The level 3
 * CONNECT shows the 'MQIsdp' protocol name.
 */
import test from 'ava'
import { encode } from '../../lib/protocol/encoder.js'
import { FIXTURES_311 } from './fixtures-311.data.js'
import { registerFixtureChecks } from './fixture-checks.js'

registerFixtureChecks('v3.1.1', FIXTURES_311)

test('v3.1.1 fixtures cover all 14 packet types', t => {
  t.deepEqual(new Set(FIXTURES_311.map(f => f.packet.type)).size, 14)
})

test('v3.1.1 encoding drops v5-only fields (reason codes, properties, subscription options)', t => {
  t.is(encode({ type: 'puback', packetId: 1, reasonCode: 0x10, properties: { reasonString: 'x' } }, 4).toString('hex'), '40020001')
  t.is(encode({ type: 'disconnect', reasonCode: 4, properties: { reasonString: 'x' } }, 4).toString('hex'), 'e000')
  t.is(encode({ type: 'unsuback', packetId: 2, reasonCodes: [0x11] }, 4).toString('hex'), 'b0020002')
  t.is(encode({ type: 'connack', sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 5 } }, 4).toString('hex'), '20020000')
  t.is(encode({
    type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'a', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 }],
    properties: { subscriptionIdentifier: 3 }
  }, 4).toString('hex'), '8206000100016101')
  t.is(encode({ type: 'publish', topic: 'a', payload: Buffer.from('p'), qos: 0, retain: false, dup: false, properties: { messageExpiryInterval: 9 } }, 4).toString('hex'), '3004000161' + '70')
})
