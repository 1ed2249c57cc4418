/**
 * The vocabulary shared by the delivery-guarantee machines: the message they carry, the flow
 * states (named for what they wait for, ARCHITECTURE rule 2), the events that drive them and the
 * actions they decide. Everything here is plain data: no I/O, no timers, no promises.
 */
import type { PacketId } from '../core/ids.js'
import type {
  Packet, PublishPacket, PublishProperties, PubackPacket, PubrecPacket, PubrelPacket, PubcompPacket, QoS
} from '../protocol/packets.js'

/** An application message as it travels between publisher, broker and subscriber. */
export interface ApplicationMessage {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: QoS
  readonly retain: boolean
  readonly properties?: PublishProperties
}

/** The sender side of an at-least-once flow: PUBLISH sent, waiting for its PUBACK. */
export interface AwaitingPuback {
  readonly state: 'AwaitingPuback'
  readonly packetId: PacketId
  readonly message: ApplicationMessage
}

/** The sender side of an exactly-once flow, first half: PUBLISH sent, waiting for PUBREC. */
export interface AwaitingPubrec {
  readonly state: 'AwaitingPubrec'
  readonly packetId: PacketId
  readonly message: ApplicationMessage
}

/** The sender side of an exactly-once flow, second half: PUBREL sent, waiting for PUBCOMP. */
export interface AwaitingPubcomp {
  readonly state: 'AwaitingPubcomp'
  readonly packetId: PacketId
}

/** The receiver side of an exactly-once flow: delivered once, PUBREC sent, waiting for PUBREL. */
export interface AwaitingPubrel {
  readonly state: 'AwaitingPubrel'
  readonly packetId: PacketId
}

/** A flow this side started as the sender; absent from the table once it ends. */
export type OutboundFlow = AwaitingPuback | AwaitingPubrec | AwaitingPubcomp
/** A flow this side takes part in as the receiver; absent from the table once it ends. */
export type InboundFlow = AwaitingPubrel

/** How a sender's flow ended. */
export type FlowOutcome =
  | { readonly ok: true }
  | { readonly ok: false, readonly reasonCode: number, readonly reasonString?: string }

/** The outcome of every flow the receiver accepted: one shared value, not one per flow. */
export const ACCEPTED: FlowOutcome = Object.freeze({ ok: true })

export type SenderEvent =
  | { readonly type: 'publishRequested', readonly packetId: PacketId, readonly message: ApplicationMessage }
  | { readonly type: 'pubackReceived', readonly packet: PubackPacket }
  | { readonly type: 'pubrecReceived', readonly packet: PubrecPacket }
  | { readonly type: 'pubcompReceived', readonly packet: PubcompPacket }
  | { readonly type: 'connectionLost' }
  | { readonly type: 'sessionResumed' }

export type ReceiverEvent =
  /** `refuse`: a reason code >= 0x80 the receiver answers with instead of taking the message. */
  | { readonly type: 'publishReceived', readonly packet: PublishPacket, readonly refuse?: Refusal }
  | { readonly type: 'pubrelReceived', readonly packet: PubrelPacket }
  | { readonly type: 'connectionLost' }
  | { readonly type: 'sessionResumed' }

/**
 * What a transition asks the session to do, in the order it must be done. The session awaits
 * each `persist` and `deliver` before it runs the next action, so a `persist` that precedes a
 * `send` of PUBACK, PUBREC or PUBREL is durable before the acknowledgement leaves (rule 4).
 */
export type Action =
  | { readonly type: 'persist', readonly direction: 'outbound', readonly flow: OutboundFlow }
  | { readonly type: 'persist', readonly direction: 'inbound', readonly flow: InboundFlow }
  | { readonly type: 'send', readonly packet: Packet }
  /** Hand the message onward (the broker routes it; the client gives it to the application). */
  | { readonly type: 'deliver', readonly message: ApplicationMessage, readonly packetId?: PacketId }
  /** The flow with this id has ended: drop its record and free the id; `outcome` for senders. */
  | { readonly type: 'forget', readonly direction: 'outbound', readonly packetId: PacketId, readonly outcome: FlowOutcome }
  | { readonly type: 'forget', readonly direction: 'inbound', readonly packetId: PacketId }

export interface Transition<S> {
  /** The flow's new state; undefined when the flow has ended (or never started). */
  readonly state: S | undefined
  readonly actions: readonly Action[]
}

/** Reason codes the machines use (v5 2.4). */
export const REASON_SUCCESS = 0x00
export const REASON_PACKET_ID_NOT_FOUND = 0x92

/**
 * A receiver's decision not to take a PUBLISH: a reason code >= 0x80, optionally with a Reason
 * String for the acknowledgement (v5 3.4.2.2.2; the connection drops it when the peer asked for
 * no problem information, v5 [MQTT-3.1.2-29]).
 */
export type Refusal = number | { readonly reasonCode: number, readonly reasonString?: string }

export function refusalCode (refuse: Refusal | undefined): number | undefined {
  return refuse === undefined || typeof refuse === 'number' ? refuse : refuse.reasonCode
}

/** The acknowledgement's properties for a refusal: its Reason String, if any. */
export function refusalProperties (refuse: Refusal): { properties: { reasonString: string } } | Record<never, never> {
  return typeof refuse === 'number' || refuse.reasonString === undefined ? {} : { properties: { reasonString: refuse.reasonString } }
}

/** v5 [MQTT-4.4.0-2]: a reason code of 0x80 or above ends the flow as refused. */
export function isFailureReason (reasonCode: number | undefined): boolean {
  return reasonCode !== undefined && reasonCode >= 0x80
}
