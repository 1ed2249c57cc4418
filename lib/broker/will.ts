/**
 * Publishing a will: as retained or not per Will Retain (v5 [MQTT-3.1.2-14] [MQTT-3.1.2-15],
 * v3.1.1 [MQTT-3.1.2-16] [MQTT-3.1.2-17]), with its properties and user properties in order
 * (v5 [MQTT-3.1.3-10]). Will Delay Interval is not a message property and is not forwarded.
 */
import type { Will } from '../protocol/packets.js'
import type { ApplicationMessage } from '../qos/types.js'
import type { ClientSession } from './client-session.js'
import type { BrokerContext } from './context.js'

export function publishWill (ctx: BrokerContext, cs: ClientSession, will: Will): void {
  const { willDelayInterval: _delay, ...properties } = will.properties ?? {}
  const base = { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain }
  const message: ApplicationMessage = Object.keys(properties).length === 0 ? base : { ...base, properties }
  // Nobody acknowledges a will: a store failure while routing it is logged, not lost silently.
  try {
    ctx.router.publish(message, cs.clientId, cs.info)?.catch((err: unknown) => { ctx.logger.error({ err, clientId: cs.clientId }, 'storing a will failed') })
  } catch (err) {
    ctx.logger.error({ err, clientId: cs.clientId }, 'storing a will failed')
  }
}
