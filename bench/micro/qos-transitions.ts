/**
 * QoS transitions per second, at two levels:
 *  - the pure machines of lib/qos (flows.ts): one complete flow per operation, both sides
 *    (sender start + receiver + acknowledgements), no tables, no I/O;
 *  - a lib/session Session pair wired back to back in memory (in-flight tables, packet-id
 *    allocator, send quota, serial runner, no store): one complete message per operation.
 * Run: npx tsx bench/micro/qos-transitions.ts   (MICRO_MS=2000 for longer runs)
 */
import type { PacketId } from '../../lib/core/ids.js'
import type { Packet, PublishAckPacket, PublishPacket, PubrelPacket } from '../../lib/protocol/packets.js'
import { onPuback, onPubcomp, onPublish, onPubrec, onPubrel, startPublish } from '../../lib/qos/flows.js'
import type { Action, ApplicationMessage, InboundFlow, OutboundFlow } from '../../lib/qos/types.js'
import { Session } from '../../lib/session/session.js'
import { keep, runCases, type MicroCase } from './harness.js'

const message = (qos: 0 | 1 | 2): ApplicationMessage => ({ topic: 'bench/qos/transitions', payload: Buffer.alloc(64, 0x61), qos, retain: false })
const BATCH = 100

function sent (actions: readonly Action[]): Packet {
  for (const action of actions) if (action.type === 'send') return action.packet
  throw new Error('the transition sent nothing')
}

/** One QoS 1 flow through the machines: start, receive, PUBACK back. Returns the transitions run. */
function qos1Flow (msg: ApplicationMessage, packetId: PacketId): number {
  const start = startPublish(msg, packetId)
  const publish = sent(start.actions) as PublishPacket
  const received = onPublish(undefined, publish)
  const puback = sent(received.actions) as PublishAckPacket & { type: 'puback' }
  const done = onPuback(start.state as OutboundFlow, puback)
  keep(done)
  return 3
}

/** One QoS 2 flow: PUBLISH, PUBREC, PUBREL, PUBCOMP, each a transition on its side. */
function qos2Flow (msg: ApplicationMessage, packetId: PacketId): number {
  const start = startPublish(msg, packetId)
  const publish = sent(start.actions) as PublishPacket
  const received = onPublish(undefined, publish)
  const pubrec = sent(received.actions) as PublishAckPacket & { type: 'pubrec' }
  const released = onPubrec(start.state as OutboundFlow, pubrec)
  const pubrel = sent(released.actions) as PubrelPacket
  const completed = onPubrel(received.state as InboundFlow, pubrel)
  const pubcomp = sent(completed.actions) as PublishAckPacket & { type: 'pubcomp' }
  keep(onPubcomp(released.state as OutboundFlow, pubcomp))
  return 5
}

/** Two sessions joined by synchronous in-memory "connections": every send is received by the other. */
function sessionPair (): { sender: Session, deliveries: () => number } {
  let delivered = 0
  const sender = new Session()
  const receiver = new Session()
  sender.attach({ send: (packet) => { receiver.receive(packet as PublishPacket | PublishAckPacket) }, deliver: () => undefined }, { resumed: false })
  receiver.attach({ send: (packet) => { sender.receive(packet as PublishPacket | PublishAckPacket) }, deliver: () => { delivered++ } }, { resumed: false })
  return { sender, deliveries: () => delivered }
}

const machineCases: MicroCase[] = []
for (const qos of [1, 2] as const) {
  const msg = message(qos)
  const perFlow = qos === 1 ? 3 : 5
  let id = 1
  machineCases.push({
    name: `machines: QoS ${qos} flow (${perFlow} transitions)`,
    opsPerCall: BATCH,
    fn: () => {
      for (let i = 0; i < BATCH; i++) {
        if (qos === 1) qos1Flow(msg, id as PacketId)
        else qos2Flow(msg, id as PacketId)
        id = id === 65535 ? 1 : id + 1
      }
    }
  })
}

const sessionCases: MicroCase[] = []
for (const qos of [0, 1, 2] as const) {
  const msg = message(qos)
  const pair = sessionPair()
  sessionCases.push({
    name: `session pair: QoS ${qos} message end to end`,
    opsPerCall: BATCH,
    fn: () => {
      const before = pair.deliveries()
      for (let i = 0; i < BATCH; i++) pair.sender.publish(msg)
      if (pair.deliveries() - before !== BATCH) throw new Error(`QoS ${qos}: ${pair.deliveries() - before} of ${BATCH} delivered`)
    }
  })
}

const machines = runCases('QoS machines (lib/qos), complete flows/s', machineCases)
for (const r of machines) {
  const per = r.name.includes('QoS 1') ? 3 : 5
  console.log(`  ${`  = transitions/s`.padEnd(48)} ${Math.round(r.opsPerSec * per).toLocaleString('en-US').padStart(14)}`)
}
runCases('Session pair (lib/session, no store), messages/s', sessionCases)
