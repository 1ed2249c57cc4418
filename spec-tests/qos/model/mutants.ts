/**
 * Deliberately broken machines. Each breaks one guarantee or one rule in a way a real
 * implementation might; the model check must report every one of them (model-check.test.ts).
 */
import type { PacketId } from '../../../lib/core/ids.js'
import { publishPacket } from '../../../lib/qos/publish-packet.js'
import type { Action, ApplicationMessage, OutboundFlow } from '../../../lib/qos/types.js'
import { realReceiver, realSender, type ReceiverMachines, type SenderMachines } from './endpoints.js'
import type { IdSource } from './id-source.js'

/** Delivers a repeated QoS 2 PUBLISH again (the classic "store the packet, not the phase" bug). */
export const receiverDeliveringQos2Duplicates: ReceiverMachines = {
  ...realReceiver,
  onPublish (flow, packet, refuse) {
    const result = realReceiver.onPublish(flow, packet, refuse)
    if (packet.qos !== 2 || flow === undefined) return result
    const deliver: Action = { type: 'deliver', message: { topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: packet.retain }, packetId: flow.packetId }
    return { state: result.state, actions: [deliver, ...result.actions] }
  }
}

/** Answers PUBREL with PUBCOMP but keeps the id, so a later message reusing it is swallowed. */
export const receiverNeverReleasingIds: ReceiverMachines = {
  ...realReceiver,
  onPubrel (flow, packet) {
    if (flow === undefined) return realReceiver.onPubrel(flow, packet)
    return { state: flow, actions: [{ type: 'send', packet: { type: 'pubcomp', packetId: packet.packetId, reasonCode: 0 } }] }
  }
}

type WithMessage = OutboundFlow & { readonly keptMessage?: ApplicationMessage }

/** Keeps the message after PUBREC and, on resume, sends the PUBLISH again before the PUBREL. */
export const senderResendingPublishAfterPubrel: SenderMachines = {
  ...realSender,
  onPubrec (flow, packet) {
    const result = realSender.onPubrec(flow, packet)
    if (result.state?.state !== 'AwaitingPubcomp' || flow?.state !== 'AwaitingPubrec') return result
    const kept: WithMessage = { ...result.state, keptMessage: flow.message }
    return { state: kept, actions: result.actions.map(a => a.type === 'persist' && a.direction === 'outbound' ? { ...a, flow: kept } : a) }
  },
  onSessionResumed (flow) {
    const result = realSender.onSessionResumed(flow)
    const kept = (flow as WithMessage).keptMessage
    if (flow.state !== 'AwaitingPubcomp' || kept === undefined) return result
    return { state: result.state, actions: [{ type: 'send', packet: publishPacket(kept, flow.packetId, true) }, ...result.actions] }
  }
}

/** Treats a lost connection as the end of a QoS 1 flow (reports success, never resends). */
export const senderDroppingQos1OnConnectionLost: SenderMachines = {
  ...realSender,
  onConnectionLost (flow) {
    if (flow.state !== 'AwaitingPuback') return realSender.onConnectionLost(flow)
    return { state: undefined, actions: [{ type: 'forget', direction: 'outbound', packetId: flow.packetId, outcome: { ok: true } }] }
  }
}

/** Forgets to resend anything when the session resumes. */
export const senderNeverResending: SenderMachines = {
  ...realSender,
  onSessionResumed: flow => ({ state: flow, actions: [] })
}

/** Resends unacknowledged PUBLISH packets on the connection that failed, as soon as it fails. */
export const senderResendingOnConnectionLost: SenderMachines = {
  ...realSender,
  onConnectionLost: flow => realSender.onSessionResumed(flow)
}

/** Sends every QoS 0 PUBLISH twice (a "retry" for the unacknowledged QoS). */
export const senderSendingQos0Twice: SenderMachines = {
  ...realSender,
  start (message, packetId) {
    const result = realSender.start(message, packetId)
    return message.qos === 0 ? { state: result.state, actions: [...result.actions, ...result.actions] } : result
  }
}

/** An id source that hands out id 1 every time: ids are reused while their flows are in flight. */
export class AlwaysOneIds implements IdSource {
  #inFlight = 0
  hasFree (): boolean { return true }
  allocate (): PacketId { this.#inFlight++; return 1 as PacketId }
  release (id: number): boolean {
    if (id !== 1 || this.#inFlight === 0) return false
    this.#inFlight--
    return true
  }

  inFlight (): readonly number[] { return this.#inFlight > 0 ? [1] : [] }
  key (): string { return String(this.#inFlight) }
  clone (): IdSource {
    const copy = new AlwaysOneIds()
    copy.#inFlight = this.#inFlight
    return copy
  }
}
