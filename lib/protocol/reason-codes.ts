/**
 * MQTT 5.0 reason codes (v5 2.4, table 2-6), MQTT 3.1.1 CONNACK return codes (v3.1.1 3.2.2.3),
 * the set of codes each v5 packet type may carry, and the v5 -> v3.1.1 CONNACK mapping.
 */

export const ReasonCode = {
  Success: 0x00,
  NormalDisconnection: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWillMessage: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
  SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2
} as const

/** v3.1.1 CONNACK return codes (table 3.1); 6-255 are reserved. */
export const ConnackReturnCode = {
  Accepted: 0,
  UnacceptableProtocolVersion: 1,
  IdentifierRejected: 2,
  ServerUnavailable: 3,
  BadUserNameOrPassword: 4,
  NotAuthorized: 5
} as const
export type ConnackReturnCode = typeof ConnackReturnCode[keyof typeof ConnackReturnCode]

/** v3.1.1 SUBACK failure return code. */
export const SubackFailure311 = 0x80

const R = ReasonCode
const set = (...codes: number[]): ReadonlySet<number> => new Set(codes)

/** v5 [MQTT-3.2.2-8] */
export const CONNACK_REASON_CODES = set(R.Success, R.UnspecifiedError, R.MalformedPacket, R.ProtocolError,
  R.ImplementationSpecificError, R.UnsupportedProtocolVersion, R.ClientIdentifierNotValid, R.BadUserNameOrPassword,
  R.NotAuthorized, R.ServerUnavailable, R.ServerBusy, R.Banned, R.BadAuthenticationMethod, R.TopicNameInvalid,
  R.PacketTooLarge, R.QuotaExceeded, R.PayloadFormatInvalid, R.RetainNotSupported, R.QoSNotSupported,
  R.UseAnotherServer, R.ServerMoved, R.ConnectionRateExceeded)
/** v5 [MQTT-3.4.2-1] and [MQTT-3.5.2-1] */
export const PUBACK_REASON_CODES = set(R.Success, R.NoMatchingSubscribers, R.UnspecifiedError,
  R.ImplementationSpecificError, R.NotAuthorized, R.TopicNameInvalid, R.PacketIdentifierInUse, R.QuotaExceeded,
  R.PayloadFormatInvalid)
export const PUBREC_REASON_CODES = PUBACK_REASON_CODES
/** v5 [MQTT-3.6.2-1] and [MQTT-3.7.2-1] */
export const PUBREL_REASON_CODES = set(R.Success, R.PacketIdentifierNotFound)
export const PUBCOMP_REASON_CODES = PUBREL_REASON_CODES
/** v5 [MQTT-3.9.3-2] */
export const SUBACK_REASON_CODES = set(R.GrantedQoS0, R.GrantedQoS1, R.GrantedQoS2, R.UnspecifiedError,
  R.ImplementationSpecificError, R.NotAuthorized, R.TopicFilterInvalid, R.PacketIdentifierInUse, R.QuotaExceeded,
  R.SharedSubscriptionsNotSupported, R.SubscriptionIdentifiersNotSupported, R.WildcardSubscriptionsNotSupported)
/** v5 [MQTT-3.11.3-2] */
export const UNSUBACK_REASON_CODES = set(R.Success, R.NoSubscriptionExisted, R.UnspecifiedError,
  R.ImplementationSpecificError, R.NotAuthorized, R.TopicFilterInvalid, R.PacketIdentifierInUse)
/** v5 [MQTT-3.14.2-1] */
export const DISCONNECT_REASON_CODES = set(R.NormalDisconnection, R.DisconnectWithWillMessage, R.UnspecifiedError,
  R.MalformedPacket, R.ProtocolError, R.ImplementationSpecificError, R.NotAuthorized, R.ServerBusy,
  R.ServerShuttingDown, R.KeepAliveTimeout, R.SessionTakenOver, R.TopicFilterInvalid, R.TopicNameInvalid,
  R.ReceiveMaximumExceeded, R.TopicAliasInvalid, R.PacketTooLarge, R.MessageRateTooHigh, R.QuotaExceeded,
  R.AdministrativeAction, R.PayloadFormatInvalid, R.RetainNotSupported, R.QoSNotSupported, R.UseAnotherServer,
  R.ServerMoved, R.SharedSubscriptionsNotSupported, R.ConnectionRateExceeded, R.MaximumConnectTime,
  R.SubscriptionIdentifiersNotSupported, R.WildcardSubscriptionsNotSupported)
/** v5 [MQTT-3.15.2-1] */
export const AUTH_REASON_CODES = set(R.Success, R.ContinueAuthentication, R.ReAuthenticate)
/** v3.1.1 CONNACK return codes 0..5. */
export const CONNACK_RETURN_CODES_311 = set(0, 1, 2, 3, 4, 5)
/** v3.1.1 [MQTT-3.9.3-2]: 0x00, 0x01, 0x02 and 0x80 only. */
export const SUBACK_RETURN_CODES_311 = set(0, 1, 2, SubackFailure311)

const V5_TO_311: ReadonlyMap<number, ConnackReturnCode> = new Map<number, ConnackReturnCode>([
  [R.Success, ConnackReturnCode.Accepted],
  [R.UnsupportedProtocolVersion, ConnackReturnCode.UnacceptableProtocolVersion],
  [R.ClientIdentifierNotValid, ConnackReturnCode.IdentifierRejected],
  [R.ServerUnavailable, ConnackReturnCode.ServerUnavailable],
  [R.ServerBusy, ConnackReturnCode.ServerUnavailable],
  [R.UseAnotherServer, ConnackReturnCode.ServerUnavailable],
  [R.ServerMoved, ConnackReturnCode.ServerUnavailable],
  [R.QuotaExceeded, ConnackReturnCode.ServerUnavailable],
  [R.ConnectionRateExceeded, ConnackReturnCode.ServerUnavailable],
  [R.BadUserNameOrPassword, ConnackReturnCode.BadUserNameOrPassword],
  [R.NotAuthorized, ConnackReturnCode.NotAuthorized],
  [R.BadAuthenticationMethod, ConnackReturnCode.NotAuthorized],
  [R.Banned, ConnackReturnCode.NotAuthorized]
])

/**
 * The v3.1.1 CONNACK return code that reports a v5 CONNACK reason code to a level 3 or 4 client.
 * `undefined` means no return code applies: per v3.1.1 [MQTT-3.2.2-6] the server then closes the
 * connection without sending a CONNACK.
 */
export function connackReturnCodeFor (reasonCode: number): ConnackReturnCode | undefined {
  return V5_TO_311.get(reasonCode)
}
