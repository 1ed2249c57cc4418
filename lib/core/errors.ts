/**
 * The one error registry (ARCHITECTURE rule 6). Every failure qosmos reports is an instance of
 * one of these classes: a stable `code` for programs, an MQTT reason code where one exists, and
 * a message for people. Callbacks never receive "a number or an Error".
 */
export abstract class QosmosError extends Error {
  abstract readonly code: string
  /** The MQTT 5 reason code that reports this failure on the wire, where one exists. */
  readonly reasonCode: number | undefined
  constructor (message: string, reasonCode?: number, options?: ErrorOptions) {
    super(message, options)
    this.reasonCode = reasonCode
  }

  override get name (): string { return this.constructor.name }
}

/** Bytes that are not a well-formed MQTT packet (v5 reason 0x81). */
export class MalformedPacketError extends QosmosError {
  readonly code = 'QOSMOS_MALFORMED_PACKET'
  constructor (message: string, options?: ErrorOptions) { super(message, 0x81, options) }
}

/** A well-formed packet that breaks a protocol rule (v5 reason 0x82). */
export class ProtocolViolationError extends QosmosError {
  readonly code = 'QOSMOS_PROTOCOL_ERROR'
  constructor (message: string, options?: ErrorOptions) { super(message, 0x82, options) }
}

/** A packet larger than the receiver's Maximum Packet Size (v5 reason 0x95). */
export class PacketTooLargeError extends QosmosError {
  readonly code = 'QOSMOS_PACKET_TOO_LARGE'
  readonly size: number
  readonly limit: number
  constructor (size: number, limit: number) {
    super(`packet of ${size} bytes exceeds the maximum packet size of ${limit} bytes`, 0x95)
    this.size = size
    this.limit = limit
  }
}

/** A PUBLISH topic name that breaks the topic name rules (v5 reason 0x90). */
export class InvalidTopicNameError extends QosmosError {
  readonly code = 'QOSMOS_INVALID_TOPIC_NAME'
  constructor (message: string) { super(message, 0x90) }
}

/** A subscription topic filter that breaks the topic filter rules (v5 reason 0x8F). */
export class InvalidTopicFilterError extends QosmosError {
  readonly code = 'QOSMOS_INVALID_TOPIC_FILTER'
  constructor (message: string) { super(message, 0x8f) }
}

/** Every packet identifier (1..65535) is in flight: no identifier can be allocated. */
export class PacketIdExhaustedError extends QosmosError {
  readonly code = 'QOSMOS_PACKET_ID_EXHAUSTED'
  constructor () { super('all 65535 packet identifiers are in flight') }
}

/** A packet identifier that is already in use (v5 reason 0x91). */
export class PacketIdInUseError extends QosmosError {
  readonly code = 'QOSMOS_PACKET_ID_IN_USE'
  readonly packetId: number
  constructor (packetId: number) {
    super(`packet identifier ${packetId} is already in use`, 0x91)
    this.packetId = packetId
  }
}

/** The peer sent more unacknowledged QoS 1/2 PUBLISH packets than our Receive Maximum (v5 0x93). */
export class ReceiveMaximumExceededError extends QosmosError {
  readonly code = 'QOSMOS_RECEIVE_MAXIMUM_EXCEEDED'
  constructor (limit: number) { super(`more than ${limit} QoS 1/2 publications in flight`, 0x93) }
}

/** A packet that no transition accepts in the current state of a flow. */
export class UnexpectedPacketError extends ProtocolViolationError {
  override readonly code = 'QOSMOS_UNEXPECTED_PACKET' as 'QOSMOS_PROTOCOL_ERROR'
  readonly packetType: string
  readonly state: string
  constructor (packetType: string, state: string, rule: string) {
    super(`unexpected ${packetType.toUpperCase()} while ${state}: ${rule}`)
    this.packetType = packetType
    this.state = state
  }
}

/** A publication whose flow ended with an MQTT 5 error reason code from the receiver. */
export class PublishRejectedError extends QosmosError {
  readonly code = 'QOSMOS_PUBLISH_REJECTED'
  constructor (reasonCode: number, reasonString?: string) {
    super(`publication refused with reason code 0x${reasonCode.toString(16).padStart(2, '0')}${reasonString === undefined ? '' : `: ${reasonString}`}`, reasonCode)
  }
}

/** A storage backend failed; the operation that needed it did not take effect. */
export class StorageError extends QosmosError {
  readonly code: string = 'QOSMOS_STORAGE_ERROR'
  constructor (message: string, options?: ErrorOptions, reasonCode = 0x80) { super(message, reasonCode, options) }
}

/**
 * The store refused a write because its disk is (nearly) full, before writing anything (v5
 * reason 0x97 Quota exceeded). The store stays in service: writes go through once space is freed.
 */
export class StorageFullError extends StorageError {
  override readonly code = 'QOSMOS_STORAGE_FULL'
  constructor (message: string, options?: ErrorOptions) { super(message, options, 0x97) }
}

/** A queue reached its configured limit and the publication was dropped (v5 0x97 Quota exceeded). */
export class QueueFullError extends QosmosError {
  readonly code = 'QOSMOS_QUEUE_FULL'
  constructor (message: string) { super(message, 0x97) }
}

/**
 * The session ended (closed, taken over or expired) before a flow completed. `neverSent`: the
 * message was still queued, no PUBLISH of it ever went out (so no receiver can have it).
 */
export class SessionClosedError extends QosmosError {
  readonly code = 'QOSMOS_SESSION_CLOSED'
  readonly neverSent: boolean
  constructor (message = 'the session was closed', options: { neverSent?: boolean } = {}) {
    super(message)
    this.neverSent = options.neverSent === true
  }
}

/** An invalid option or argument given by the application or on the command line. */
export class InvalidArgumentError extends QosmosError {
  readonly code = 'QOSMOS_INVALID_ARGUMENT'
  constructor (message: string) { super(message) }
}

/** A queued message whose v5 Message Expiry Interval ran out before it was sent (v5 [MQTT-3.3.2-5]). */
export class MessageExpiredError extends QosmosError {
  readonly code = 'QOSMOS_MESSAGE_EXPIRED'
  constructor (message = 'the message expired before it could be sent') { super(message) }
}

/** A QoS 0 message dropped because no connection was attached to write it to (at most once). */
export class NotConnectedError extends QosmosError {
  readonly code = 'QOSMOS_NOT_CONNECTED'
  constructor (message = 'no connection: the QoS 0 message was dropped') { super(message) }
}

/**
 * A CONNECT whose protocol name or level this server does not speak (v5 reason 0x84; v3.1.1
 * CONNACK return code 1). Distinct from a malformed packet: the broker may answer with a CONNACK
 * before closing (v3.1.1 [MQTT-3.1.2-2], v5 [MQTT-3.1.2-1]/[MQTT-3.1.2-2]).
 */
export class UnsupportedProtocolVersionError extends QosmosError {
  readonly code = 'QOSMOS_UNSUPPORTED_PROTOCOL_VERSION'
  readonly protocolName: string
  readonly protocolLevel: number
  constructor (protocolName: string, protocolLevel: number) {
    super(`unsupported protocol ${JSON.stringify(protocolName)} level ${protocolLevel}`, 0x84)
    this.protocolName = protocolName
    this.protocolLevel = protocolLevel
  }
}

/** A v5 Topic Alias of 0, above the Topic Alias Maximum, or with no mapping (v5 reason 0x94). */
export class TopicAliasInvalidError extends QosmosError {
  readonly code = 'QOSMOS_TOPIC_ALIAS_INVALID'
  constructor (message: string) { super(message, 0x94) }
}

/**
 * The server refused the connection: v5 CONNACK reason code >= 0x80, or a v3.1.1 CONNACK return
 * code 1..5 (kept in `returnCode`; `reasonCode` is then the matching v5 code).
 */
export class ConnectionRefusedError extends QosmosError {
  readonly code = 'QOSMOS_CONNECTION_REFUSED'
  readonly returnCode: number | undefined
  readonly serverReference: string | undefined
  constructor (reasonCode: number, detail: { reasonString?: string, returnCode?: number, serverReference?: string } = {}) {
    const shown = detail.returnCode === undefined ? `reason code 0x${reasonCode.toString(16).padStart(2, '0')}` : `return code ${detail.returnCode}`
    super(`connection refused with ${shown}${detail.reasonString === undefined ? '' : `: ${detail.reasonString}`}`, reasonCode)
    this.returnCode = detail.returnCode
    this.serverReference = detail.serverReference
  }
}

/** The server ended the connection with a v5 DISCONNECT carrying this reason code. */
export class ServerDisconnectError extends QosmosError {
  readonly code = 'QOSMOS_SERVER_DISCONNECT'
  readonly serverReference: string | undefined
  constructor (reasonCode: number, reasonString?: string, serverReference?: string) {
    super(`the server disconnected with reason code 0x${reasonCode.toString(16).padStart(2, '0')}${reasonString === undefined ? '' : `: ${reasonString}`}`, reasonCode)
    this.serverReference = serverReference
  }
}

/** The network connection failed or closed without a DISCONNECT. */
export class ConnectionLostError extends QosmosError {
  readonly code = 'QOSMOS_CONNECTION_LOST'
  constructor (message = 'the network connection was lost', options?: ErrorOptions) { super(message, undefined, options) }
}

/** No CONNACK (or no end of the AUTH exchange) within the connect timeout. */
export class ConnectTimeoutError extends QosmosError {
  readonly code = 'QOSMOS_CONNECT_TIMEOUT'
  constructor (ms: number) { super(`no CONNACK within ${ms} ms`) }
}

/** No PINGRESP (nor any other packet) came back in time after a PINGREQ: the link is dead (v5 0x8D). */
export class KeepAliveTimeoutError extends QosmosError {
  readonly code = 'QOSMOS_KEEP_ALIVE_TIMEOUT'
  constructor (ms: number, message = `no answer to PINGREQ within ${ms} ms`) { super(message, 0x8d) }
}

/** The client was ended (`end()`): the operation will never complete. */
export class ClientClosedError extends QosmosError {
  readonly code = 'QOSMOS_CLIENT_CLOSED'
  constructor (message = 'the client was ended') { super(message) }
}

/** Every filter of a SUBSCRIBE was refused (SUBACK 0x80 in v3.1.1, >= 0x80 in v5); `reasonCodes` per filter. */
export class SubscribeRejectedError extends QosmosError {
  readonly code = 'QOSMOS_SUBSCRIBE_REJECTED'
  readonly reasonCodes: readonly number[]
  constructor (reasonCodes: readonly number[], reasonString?: string) {
    super(`subscription refused with reason code${reasonCodes.length === 1 ? '' : 's'} ${reasonCodes.map(c => `0x${c.toString(16).padStart(2, '0')}`).join(', ')}${reasonString === undefined ? '' : `: ${reasonString}`}`, reasonCodes[0])
    this.reasonCodes = reasonCodes
  }
}

/** The session's client id connected again: this (older) connection is closed (v5 reason 0x8E, [MQTT-3.1.4-3]). */
export class SessionTakenOverError extends QosmosError {
  readonly code = 'QOSMOS_SESSION_TAKEN_OVER'
  constructor () { super('session taken over by a new connection with the same client identifier', 0x8e) }
}
