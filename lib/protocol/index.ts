/** The protocol layer's public pieces: packet model, decoder, encoder, validators, reason codes. */
export type * from './packets.js'
export { PacketDecoder, type DecodeResult, type DecoderOptions } from './decoder.js'
export { encode, encodeRouted } from './encoder.js'
export { PublishTemplates } from './fast-codec.js'
export { fromMqttPacket, toMqttPacket, userPropertiesFromMqtt, userPropertiesToMqtt, type OrderedUserProperties } from './codec.js'
export {
  isSharedFilter, isValidTopicName, parseSharedSubscription, validatePacket, validateTopicFilter, validateTopicName,
  type ValidationMode
} from './validate.js'
export * from './reason-codes.js'
