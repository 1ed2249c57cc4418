/**
 * qosmos's own packet model: one discriminated union over `type`, the same for protocol levels
 * 3 (MQTT 3.1), 4 (MQTT 3.1.1) and 5 (MQTT 5.0). Fields that exist only in 5.0 (reason codes on
 * acknowledgements, properties) are optional and are dropped by the encoder for levels 3 and 4.
 * Nothing outside lib/protocol sees mqtt-packet's objects.
 */

export type ProtocolVersion = 3 | 4 | 5
export type QoS = 0 | 1 | 2

/** v5 User Properties as ordered name/value pairs ([MQTT-3.3.2-18]: order is kept). */
export type UserProperties = ReadonlyArray<readonly [string, string]>

/** Properties carried by an application message (PUBLISH and the Will), v5 3.3.2.3. */
export interface MessageProperties {
  readonly payloadFormatIndicator?: boolean
  readonly messageExpiryInterval?: number
  readonly contentType?: string
  readonly responseTopic?: string
  readonly correlationData?: Buffer
  readonly userProperties?: UserProperties
}

export interface PublishProperties extends MessageProperties {
  readonly topicAlias?: number
  readonly subscriptionIdentifiers?: readonly number[]
}

export interface WillProperties extends MessageProperties {
  readonly willDelayInterval?: number
}

/** Reason String and User Properties: what every v5 acknowledgement may carry. */
export interface AckProperties {
  readonly reasonString?: string
  readonly userProperties?: UserProperties
}

export interface ConnectProperties {
  readonly sessionExpiryInterval?: number
  readonly receiveMaximum?: number
  readonly maximumPacketSize?: number
  readonly topicAliasMaximum?: number
  readonly requestResponseInformation?: boolean
  readonly requestProblemInformation?: boolean
  readonly userProperties?: UserProperties
  readonly authenticationMethod?: string
  readonly authenticationData?: Buffer
}

export interface ConnackProperties extends AckProperties {
  readonly sessionExpiryInterval?: number
  readonly receiveMaximum?: number
  readonly maximumQoS?: 0 | 1
  readonly retainAvailable?: boolean
  readonly maximumPacketSize?: number
  readonly assignedClientIdentifier?: string
  readonly topicAliasMaximum?: number
  readonly wildcardSubscriptionAvailable?: boolean
  readonly subscriptionIdentifiersAvailable?: boolean
  readonly sharedSubscriptionAvailable?: boolean
  readonly serverKeepAlive?: number
  readonly responseInformation?: string
  readonly serverReference?: string
  readonly authenticationMethod?: string
  readonly authenticationData?: Buffer
}

export interface SubscribeProperties {
  readonly subscriptionIdentifier?: number
  readonly userProperties?: UserProperties
}

export interface UnsubscribeProperties {
  readonly userProperties?: UserProperties
}

export interface DisconnectProperties extends AckProperties {
  readonly sessionExpiryInterval?: number
  readonly serverReference?: string
}

export interface AuthProperties extends AckProperties {
  readonly authenticationMethod?: string
  readonly authenticationData?: Buffer
}

export interface Will {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: QoS
  readonly retain: boolean
  readonly properties?: WillProperties
}

export interface ConnectPacket {
  readonly type: 'connect'
  readonly protocolVersion: ProtocolVersion
  /** 'MQIsdp' for level 3, 'MQTT' for levels 4 and 5. */
  readonly protocolName: 'MQTT' | 'MQIsdp'
  readonly clientId: string
  /** Clean Session (3.1.1) or Clean Start (5.0). */
  readonly clean: boolean
  readonly keepAlive: number
  readonly username?: string
  readonly password?: Buffer
  readonly will?: Will
  readonly properties?: ConnectProperties
  /**
   * Levels 3 and 4 only: the non-standard bridge bit (protocol level 0x83/0x84) that mosquitto
   * bridges set when they connect. Added by lib/protocol; absent means not set.
   */
  readonly bridgeMode?: boolean
}

export interface ConnackPacket {
  readonly type: 'connack'
  readonly sessionPresent: boolean
  /** v3/v4 return code (0..5) or v5 reason code. */
  readonly reasonCode: number
  readonly properties?: ConnackProperties
}

export interface PublishPacket {
  readonly type: 'publish'
  readonly topic: string
  readonly payload: Buffer
  readonly qos: QoS
  readonly retain: boolean
  readonly dup: boolean
  /** Present exactly when qos > 0. */
  readonly packetId?: number
  readonly properties?: PublishProperties
}

export interface PubackPacket { readonly type: 'puback', readonly packetId: number, readonly reasonCode?: number, readonly properties?: AckProperties }
export interface PubrecPacket { readonly type: 'pubrec', readonly packetId: number, readonly reasonCode?: number, readonly properties?: AckProperties }
export interface PubrelPacket { readonly type: 'pubrel', readonly packetId: number, readonly reasonCode?: number, readonly properties?: AckProperties }
export interface PubcompPacket { readonly type: 'pubcomp', readonly packetId: number, readonly reasonCode?: number, readonly properties?: AckProperties }

export interface SubscriptionRequest {
  readonly topicFilter: string
  /** Maximum QoS requested. */
  readonly qos: QoS
  /** v5 No Local. */
  readonly noLocal?: boolean
  /** v5 Retain As Published. */
  readonly retainAsPublished?: boolean
  /** v5 Retain Handling 0, 1 or 2. */
  readonly retainHandling?: 0 | 1 | 2
}

export interface SubscribePacket {
  readonly type: 'subscribe'
  readonly packetId: number
  readonly subscriptions: readonly SubscriptionRequest[]
  readonly properties?: SubscribeProperties
}

export interface SubackPacket {
  readonly type: 'suback'
  readonly packetId: number
  /** One per requested filter: granted QoS (0..2) or a failure code (0x80 in v3.1.1, >= 0x80 in v5). */
  readonly reasonCodes: readonly number[]
  readonly properties?: AckProperties
}

export interface UnsubscribePacket {
  readonly type: 'unsubscribe'
  readonly packetId: number
  readonly topicFilters: readonly string[]
  readonly properties?: UnsubscribeProperties
}

export interface UnsubackPacket {
  readonly type: 'unsuback'
  readonly packetId: number
  /** v5 only: one reason code per filter. Empty for levels 3 and 4. */
  readonly reasonCodes: readonly number[]
  readonly properties?: AckProperties
}

export interface PingreqPacket { readonly type: 'pingreq' }
export interface PingrespPacket { readonly type: 'pingresp' }

export interface DisconnectPacket {
  readonly type: 'disconnect'
  /** v5 only; absent means 0x00 Normal disconnection. */
  readonly reasonCode?: number
  readonly properties?: DisconnectProperties
}

export interface AuthPacket {
  readonly type: 'auth'
  readonly reasonCode: number
  readonly properties?: AuthProperties
}

export type Packet =
  | ConnectPacket | ConnackPacket
  | PublishPacket | PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket
  | SubscribePacket | SubackPacket | UnsubscribePacket | UnsubackPacket
  | PingreqPacket | PingrespPacket | DisconnectPacket | AuthPacket

export type PacketType = Packet['type']

/** The acknowledgements that complete or advance a QoS 1/2 flow. */
export type PublishAckPacket = PubackPacket | PubrecPacket | PubrelPacket | PubcompPacket
