/** Builds the CONNECT of each connection attempt, and the DISCONNECT of `end()`, from the client's options. */
import type { ConnectPacket, ConnectProperties, DisconnectPacket, ProtocolVersion, Will } from '../protocol/packets.js'
import { toQos, type ClientOptions, type EndOptions } from './options.js'

export interface ConnectState {
  readonly version: ProtocolVersion
  readonly clientId: string
  /** True for the very first connection of this client object. */
  readonly first: boolean
}

export function buildConnect (options: ClientOptions, state: ConnectState): ConnectPacket {
  // With a store the client means to resume what it stored: no clean start unless asked for.
  const clean = options.clean ?? options.store === undefined
  const v5 = state.version === 5
  const properties: ConnectProperties = {
    ...options.properties,
    ...(options.receiveMaximum === undefined ? {} : { receiveMaximum: options.receiveMaximum }),
    ...(options.maximumPacketSize === undefined ? {} : { maximumPacketSize: options.maximumPacketSize }),
    ...(options.topicAliasMaximum === undefined || options.topicAliasMaximum === 0 ? {} : { topicAliasMaximum: options.topicAliasMaximum }),
    ...(options.authenticationMethod === undefined ? {} : { authenticationMethod: options.authenticationMethod }),
    ...(options.authenticationData === undefined ? {} : { authenticationData: options.authenticationData })
  }
  const will = options.will === undefined ? undefined : buildWill(options.will)
  return {
    type: 'connect',
    protocolVersion: state.version,
    protocolName: state.version === 3 ? 'MQIsdp' : 'MQTT',
    clientId: state.clientId,
    // v5: Clean Start only on the first connection, so that a reconnect resumes the session the
    // server kept (Session Expiry Interval > 0). v3.1.1: Clean Session is one setting for all.
    clean: v5 ? clean && state.first : clean,
    keepAlive: options.keepAlive ?? 60,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: typeof options.password === 'string' ? Buffer.from(options.password) : options.password }),
    ...(will === undefined ? {} : { will }),
    ...(v5 && Object.keys(properties).length > 0 ? { properties } : {})
  }
}

function buildWill (will: NonNullable<ClientOptions['will']>): Will {
  return {
    topic: will.topic,
    payload: typeof will.payload === 'string' ? Buffer.from(will.payload) : will.payload,
    qos: toQos(will.qos),
    retain: will.retain ?? false,
    ...(will.properties === undefined ? {} : { properties: will.properties })
  }
}

/** The DISCONNECT `end()` sends: v5 with its reason code and properties, 3.1.1 bare. */
export function buildDisconnect (version: ProtocolVersion, options: EndOptions): DisconnectPacket {
  if (version !== 5) return { type: 'disconnect' }
  const props = {
    ...(options.reasonString === undefined ? {} : { reasonString: options.reasonString }),
    ...(options.sessionExpiryInterval === undefined ? {} : { sessionExpiryInterval: options.sessionExpiryInterval }),
    ...(options.userProperties === undefined ? {} : { userProperties: options.userProperties })
  }
  return { type: 'disconnect', reasonCode: options.reasonCode ?? 0, ...(Object.keys(props).length > 0 ? { properties: props } : {}) }
}
