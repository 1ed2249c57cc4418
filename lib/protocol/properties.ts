/**
 * The v5 property table (v5 2.2.2.2, table 2-4): identifier, wire type, the name mqtt-packet and
 * our model both use, and the packets that may carry it. A property on any other packet makes
 * it malformed: "A Control Packet which contains an Identifier which is not valid for its packet
 * type ... is a Malformed Packet" (v5 2.2.2.2).
 */

export type PropertyType = 'byte' | 'int16' | 'int32' | 'varint' | 'string' | 'binary' | 'pair'

/** Where a property section lives: a packet type, or the Will Properties of a CONNECT. */
export type PropertyContext =
  | 'connect' | 'connack' | 'publish' | 'will' | 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'
  | 'subscribe' | 'suback' | 'unsubscribe' | 'unsuback' | 'disconnect' | 'auth'

const CONTEXT_BITS: Readonly<Record<PropertyContext, number>> = {
  connect: 1 << 0,
  connack: 1 << 1,
  publish: 1 << 2,
  will: 1 << 3,
  puback: 1 << 4,
  pubrec: 1 << 5,
  pubrel: 1 << 6,
  pubcomp: 1 << 7,
  subscribe: 1 << 8,
  suback: 1 << 9,
  unsubscribe: 1 << 10,
  unsuback: 1 << 11,
  disconnect: 1 << 12,
  auth: 1 << 13
}

export interface PropertyDef {
  readonly id: number
  readonly name: string
  readonly type: PropertyType
  /** Bit set of the contexts that may carry it. */
  readonly contexts: number
  /** A Byte property whose only legal values are 0 and 1 (anything else is a Protocol Error). */
  readonly zeroOrOne: boolean
}

const ACKS: readonly PropertyContext[] = ['puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback']
const ALL: readonly PropertyContext[] = ['connect', 'connack', 'publish', 'will', 'subscribe', 'unsubscribe', 'disconnect', 'auth', ...ACKS]
const MESSAGE: readonly PropertyContext[] = ['publish', 'will']

function def (id: number, name: string, type: PropertyType, contexts: readonly PropertyContext[]): PropertyDef {
  let bits = 0
  for (const c of contexts) bits |= CONTEXT_BITS[c]
  return { id, name, type, contexts: bits, zeroOrOne: type === 'byte' }
}

const DEFS: readonly PropertyDef[] = [
  def(0x01, 'payloadFormatIndicator', 'byte', MESSAGE),
  def(0x02, 'messageExpiryInterval', 'int32', MESSAGE),
  def(0x03, 'contentType', 'string', MESSAGE),
  def(0x08, 'responseTopic', 'string', MESSAGE),
  def(0x09, 'correlationData', 'binary', MESSAGE),
  def(0x0b, 'subscriptionIdentifier', 'varint', ['publish', 'subscribe']),
  def(0x11, 'sessionExpiryInterval', 'int32', ['connect', 'connack', 'disconnect']),
  def(0x12, 'assignedClientIdentifier', 'string', ['connack']),
  def(0x13, 'serverKeepAlive', 'int16', ['connack']),
  def(0x15, 'authenticationMethod', 'string', ['connect', 'connack', 'auth']),
  def(0x16, 'authenticationData', 'binary', ['connect', 'connack', 'auth']),
  def(0x17, 'requestProblemInformation', 'byte', ['connect']),
  def(0x18, 'willDelayInterval', 'int32', ['will']),
  def(0x19, 'requestResponseInformation', 'byte', ['connect']),
  def(0x1a, 'responseInformation', 'string', ['connack']),
  def(0x1c, 'serverReference', 'string', ['connack', 'disconnect']),
  def(0x1f, 'reasonString', 'string', ['connack', 'disconnect', 'auth', ...ACKS]),
  def(0x21, 'receiveMaximum', 'int16', ['connect', 'connack']),
  def(0x22, 'topicAliasMaximum', 'int16', ['connect', 'connack']),
  def(0x23, 'topicAlias', 'int16', ['publish']),
  def(0x24, 'maximumQoS', 'byte', ['connack']),
  def(0x25, 'retainAvailable', 'byte', ['connack']),
  def(0x26, 'userProperties', 'pair', ALL),
  def(0x27, 'maximumPacketSize', 'int32', ['connect', 'connack']),
  def(0x28, 'wildcardSubscriptionAvailable', 'byte', ['connack']),
  def(0x29, 'subscriptionIdentifiersAvailable', 'byte', ['connack']),
  def(0x2a, 'sharedSubscriptionAvailable', 'byte', ['connack'])
]

/** Indexed by identifier; undefined for identifiers the spec does not define. */
export const PROPERTY_BY_ID: ReadonlyArray<PropertyDef | undefined> = (() => {
  const table: Array<PropertyDef | undefined> = new Array<PropertyDef | undefined>(0x2b).fill(undefined)
  for (const d of DEFS) table[d.id] = d
  return table
})()

export const PROPERTY_BY_NAME: ReadonlyMap<string, PropertyDef> = new Map(DEFS.map(d => [d.name, d]))

export const USER_PROPERTY_ID = 0x26
export const SUBSCRIPTION_IDENTIFIER_ID = 0x0b
export const MAX_VARIABLE_BYTE_INTEGER = 268_435_455

export function contextBit (context: PropertyContext): number { return CONTEXT_BITS[context] }

/**
 * May this identifier appear more than once in this context? Only User Property (everywhere) and
 * Subscription Identifier in a PUBLISH (v5 3.3.2.3.8); every other repeat is a Protocol Error.
 */
export function mayRepeat (id: number, context: PropertyContext): boolean {
  return id === USER_PROPERTY_ID || (id === SUBSCRIPTION_IDENTIFIER_ID && context === 'publish')
}
