/**
 * One fixture per MQTT 3.1.1 packet type (14), plus a level 3 (MQTT 3.1, "MQIsdp") CONNECT and a
 * QoS 0 PUBLISH. Bytes are written from the spec's layouts (v3.1.1 chapter 3), not produced by
 * the encoder.
 */
import { bin, frame, hex, str, type Fixture } from './helpers.js'

export const FIXTURES_311: readonly Fixture[] = [
  {
    title: 'CONNECT with will, user name and password',
    version: 4,
    // flags 0xce = user name 0x80 | password 0x40 | will QoS 1 0x08 | will 0x04 | clean session 0x02
    bytes: frame(0x10, str('MQTT'), '04', 'ce', '001e', str('client'), str('will/t'), bin('gone'), str('user'), bin('pw')),
    packet: {
      type: 'connect', protocolVersion: 4, protocolName: 'MQTT', clientId: 'client', clean: true, keepAlive: 30,
      username: 'user', password: Buffer.from('pw'),
      will: { topic: 'will/t', payload: Buffer.from('gone'), qos: 1, retain: false }
    }
  },
  {
    title: 'level 3 (MQTT 3.1) CONNECT named MQIsdp',
    version: 3,
    bytes: hex('10 11', '0006 4d5149736470', '03', '02', '000a', '0003 6f6c64'),
    packet: { type: 'connect', protocolVersion: 3, protocolName: 'MQIsdp', clientId: 'old', clean: true, keepAlive: 10 }
  },
  {
    title: 'CONNACK accepted with session present',
    version: 4,
    bytes: hex('20 02 01 00'),
    packet: { type: 'connack', sessionPresent: true, reasonCode: 0 }
  },
  {
    title: 'PUBLISH QoS 1 with DUP and RETAIN',
    version: 4,
    // 0x3b = PUBLISH 0x30 | DUP 0x08 | QoS 1 0x02 | RETAIN 0x01
    bytes: hex('3b 0c', '0003 612f62', '000a', '68656c6c6f'),
    packet: { type: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 1, retain: true, dup: true, packetId: 10 }
  },
  {
    title: 'PUBLISH QoS 0 with an empty payload',
    version: 4,
    bytes: hex('30 05', '0003 612f62'),
    packet: { type: 'publish', topic: 'a/b', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }
  },
  { title: 'PUBACK', version: 4, bytes: hex('40 02 000a'), packet: { type: 'puback', packetId: 10 } },
  { title: 'PUBREC', version: 4, bytes: hex('50 02 000b'), packet: { type: 'pubrec', packetId: 11 } },
  { title: 'PUBREL', version: 4, bytes: hex('62 02 000c'), packet: { type: 'pubrel', packetId: 12 } },
  { title: 'PUBCOMP', version: 4, bytes: hex('70 02 000d'), packet: { type: 'pubcomp', packetId: 13 } },
  {
    title: 'SUBSCRIBE with two filters',
    version: 4,
    bytes: hex('82 0e', '0001', '0003 612f2b 01', '0003 622f23 02'),
    packet: { type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'a/+', qos: 1 }, { topicFilter: 'b/#', qos: 2 }] }
  },
  {
    title: 'SUBACK with a grant and a failure',
    version: 4,
    bytes: hex('90 04 0001 01 80'),
    packet: { type: 'suback', packetId: 1, reasonCodes: [1, 0x80] }
  },
  {
    title: 'UNSUBSCRIBE',
    version: 4,
    bytes: hex('a2 07 0002 0003 612f2b'),
    packet: { type: 'unsubscribe', packetId: 2, topicFilters: ['a/+'] }
  },
  { title: 'UNSUBACK', version: 4, bytes: hex('b0 02 0002'), packet: { type: 'unsuback', packetId: 2, reasonCodes: [] } },
  { title: 'PINGREQ', version: 4, bytes: hex('c0 00'), packet: { type: 'pingreq' } },
  { title: 'PINGRESP', version: 4, bytes: hex('d0 00'), packet: { type: 'pingresp' } },
  { title: 'DISCONNECT', version: 4, bytes: hex('e0 00'), packet: { type: 'disconnect' } }
]
