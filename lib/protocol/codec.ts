/**
 * The codec boundary: conversion between mqtt-packet's loose objects and our `Packet` union, in
 * both directions, for protocol levels 3, 4 and 5. Wire bytes are handled by decoder.ts and
 * encoder.ts; this module only maps shapes.
 */
export { fromMqttPacket, userPropertiesFromMqtt, type OrderedUserProperties } from './codec-decode.js'
export { toMqttPacket, userPropertiesToMqtt } from './codec-encode.js'
