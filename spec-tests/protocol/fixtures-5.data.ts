/**
 * One fixture per MQTT 5.0 packet type (15), with properties, written from the spec's layouts
 * (v5 chapter 3 and the property table 2.2.2.2), not produced by the encoder. Properties appear on
 * the wire in the order of the object's keys, User Properties last.
 */
import { bin, frame, hex, props, str, u16, u32, userProp, type Fixture } from './helpers.js'

export const FIXTURES_5: readonly Fixture[] = [
  {
    title: 'CONNECT with properties, will properties, user name and password',
    version: 5,
    // flags 0xf6 = user name 0x80 | password 0x40 | will retain 0x20 | will QoS 2 0x10 | will 0x04 | clean start 0x02
    bytes: frame(0x10, str('MQTT'), '05', 'f6', '003c',
      props('11' + u32(3600), '21' + u16(20), '27' + u32(1024), '22' + u16(10), '17 00', '15' + str('PLAIN'), '16' + bin('xy'),
        userProp('k', 'v'), userProp('a', 'b'), userProp('k', 'w')),
      str('c5'),
      props('18' + u32(30), '01 01', '02' + u32(60), '03' + str('text/plain'), '08' + str('r/t'), '09' + bin('cd'), userProp('w', '1')),
      str('lw'), bin('bye'), str('me'), bin('secret')),
    packet: {
      type: 'connect', protocolVersion: 5, protocolName: 'MQTT', clientId: 'c5', clean: true, keepAlive: 60,
      username: 'me', password: Buffer.from('secret'),
      will: {
        topic: 'lw', payload: Buffer.from('bye'), qos: 2, retain: true,
        properties: {
          willDelayInterval: 30, payloadFormatIndicator: true, messageExpiryInterval: 60, contentType: 'text/plain',
          responseTopic: 'r/t', correlationData: Buffer.from('cd'), userProperties: [['w', '1']]
        }
      },
      properties: {
        sessionExpiryInterval: 3600, receiveMaximum: 20, maximumPacketSize: 1024, topicAliasMaximum: 10,
        requestProblemInformation: false, authenticationMethod: 'PLAIN', authenticationData: Buffer.from('xy'),
        userProperties: [['k', 'v'], ['a', 'b'], ['k', 'w']]
      }
    }
  },
  {
    title: 'CONNACK with every CONNACK property',
    version: 5,
    bytes: frame(0x20, '00', '00',
      props('11' + u32(0), '21' + u16(100), '24 01', '25 01', '27' + u32(65536), '12' + str('auto-1'), '22' + u16(5),
        '1f' + str('ok'), '28 01', '29 01', '2a 00', '13' + u16(30), '1a' + str('resp/'), '1c' + str('other'),
        '15' + str('X'), '16' + bin('d'), userProp('s', '1'))),
    packet: {
      type: 'connack', sessionPresent: false, reasonCode: 0,
      properties: {
        sessionExpiryInterval: 0, receiveMaximum: 100, maximumQoS: 1, retainAvailable: true, maximumPacketSize: 65536,
        assignedClientIdentifier: 'auto-1', topicAliasMaximum: 5, reasonString: 'ok', wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: true, sharedSubscriptionAvailable: false, serverKeepAlive: 30,
        responseInformation: 'resp/', serverReference: 'other', authenticationMethod: 'X', authenticationData: Buffer.from('d'),
        userProperties: [['s', '1']]
      }
    }
  },
  {
    title: 'PUBLISH QoS 2 with every PUBLISH property',
    version: 5,
    bytes: frame(0x34, str('x/y'), u16(300),
      props('01 01', '02' + u32(120), '23' + u16(4), '08' + str('reply'), '09' + bin(Buffer.from([1, 2])), '0b 05', '0b c801',
        '03' + str('json'), userProp('a', '1'), userProp('b', '2'), userProp('a', '3')),
      Buffer.from('{}').toString('hex')),
    packet: {
      type: 'publish', topic: 'x/y', payload: Buffer.from('{}'), qos: 2, retain: false, dup: false, packetId: 300,
      properties: {
        payloadFormatIndicator: true, messageExpiryInterval: 120, topicAlias: 4, responseTopic: 'reply',
        correlationData: Buffer.from([1, 2]), subscriptionIdentifiers: [5, 200], contentType: 'json',
        userProperties: [['a', '1'], ['b', '2'], ['a', '3']]
      }
    }
  },
  {
    title: 'PUBACK with reason code and Reason String',
    version: 5,
    bytes: frame(0x40, u16(1), '10', props('1f' + str('none'))),
    packet: { type: 'puback', packetId: 1, reasonCode: 0x10, properties: { reasonString: 'none' } }
  },
  {
    title: 'PUBREC with reason code and a User Property',
    version: 5,
    bytes: frame(0x50, u16(2), '80', props(userProp('x', 'y'))),
    packet: { type: 'pubrec', packetId: 2, reasonCode: 0x80, properties: { userProperties: [['x', 'y']] } }
  },
  {
    title: 'PUBREL with reason code and empty properties',
    version: 5,
    bytes: hex('62 04', u16(3), '92', '00'),
    packet: { type: 'pubrel', packetId: 3, reasonCode: 0x92 }
  },
  {
    title: 'PUBCOMP with reason code Success and a Reason String',
    version: 5,
    bytes: frame(0x70, u16(4), '00', props('1f' + str('done'))),
    packet: { type: 'pubcomp', packetId: 4, reasonCode: 0, properties: { reasonString: 'done' } }
  },
  {
    title: 'SUBSCRIBE with Subscription Identifier and subscription options',
    version: 5,
    // options 0x05 = No Local 0x04 | QoS 1; 0x2a = Retain Handling 2 (0x20) | Retain As Published 0x08 | QoS 2
    bytes: frame(0x82, u16(5), props('0b e807', userProp('u', '1')), str('a/#'), '05', str('$share/g/t/+'), '2a'),
    packet: {
      type: 'subscribe', packetId: 5,
      subscriptions: [
        { topicFilter: 'a/#', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0 },
        { topicFilter: '$share/g/t/+', qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 2 }
      ],
      properties: { subscriptionIdentifier: 1000, userProperties: [['u', '1']] }
    }
  },
  {
    title: 'SUBACK with a grant and a refusal',
    version: 5,
    bytes: frame(0x90, u16(5), props('1f' + str('r')), '01', '9e'),
    packet: { type: 'suback', packetId: 5, reasonCodes: [1, 0x9e], properties: { reasonString: 'r' } }
  },
  {
    title: 'UNSUBSCRIBE with a User Property',
    version: 5,
    bytes: frame(0xa2, u16(6), props(userProp('u', '2')), str('a/#'), str('b')),
    packet: { type: 'unsubscribe', packetId: 6, topicFilters: ['a/#', 'b'], properties: { userProperties: [['u', '2']] } }
  },
  {
    title: 'UNSUBACK with reason codes',
    version: 5,
    bytes: frame(0xb0, u16(6), props('1f' + str('x')), '00', '11'),
    packet: { type: 'unsuback', packetId: 6, reasonCodes: [0, 0x11], properties: { reasonString: 'x' } }
  },
  { title: 'PINGREQ', version: 5, bytes: hex('c0 00'), packet: { type: 'pingreq' } },
  { title: 'PINGRESP', version: 5, bytes: hex('d0 00'), packet: { type: 'pingresp' } },
  {
    title: 'DISCONNECT with Will Message and properties',
    version: 5,
    bytes: frame(0xe0, '04', props('11' + u32(120), '1f' + str('bye'), userProp('d', '1'))),
    packet: { type: 'disconnect', reasonCode: 4, properties: { sessionExpiryInterval: 120, reasonString: 'bye', userProperties: [['d', '1']] } }
  },
  {
    title: 'AUTH continuing an exchange',
    version: 5,
    bytes: frame(0xf0, '18', props('15' + str('SCRAM-SHA-1'), '16' + bin('abc'), '1f' + str('more'))),
    packet: { type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from('abc'), reasonString: 'more' } }
  }
]
