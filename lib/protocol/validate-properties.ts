/**
 * v5 property checks on our model's objects: the zero values that are Protocol Errors (both
 * directions), and, before encoding, the shape of every value (mqtt-packet would otherwise write
 * garbage for a fractional number, an over-long string or a lone surrogate).
 */
import { ProtocolViolationError, TopicAliasInvalidError, type QosmosError } from '../core/errors.js'
import { contextBit, MAX_VARIABLE_BYTE_INTEGER, PROPERTY_BY_NAME, type PropertyContext } from './properties.js'
import { MAX_STRING_BYTES, stringProblem, utf8Rule } from './utf8.js'

type Loose = Readonly<Record<string, unknown>>

const isUint = (v: unknown, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max

function valueProblem (name: string, type: string, v: unknown): string | undefined {
  switch (type) {
    case 'byte':
      if (name === 'maximumQoS') return v === 0 || v === 1 ? undefined : 'must be 0 or 1'
      return typeof v === 'boolean' ? undefined : 'must be a boolean'
    case 'int16': return isUint(v, 0xffff) ? undefined : 'must be an integer 0..65535'
    case 'int32': return isUint(v, 0xffff_ffff) ? undefined : 'must be an integer 0..4294967295'
    case 'varint': return isUint(v, MAX_VARIABLE_BYTE_INTEGER) ? undefined : 'must be an integer 0..268435455'
    case 'string': {
      if (typeof v !== 'string') return 'must be a string'
      const p = stringProblem(v)
      return p === undefined ? undefined : utf8Rule(p, 5)
    }
    case 'binary': return Buffer.isBuffer(v) && v.length <= MAX_STRING_BYTES ? undefined : 'must be a Buffer of at most 65535 bytes'
    default: {
      if (!Array.isArray(v)) return 'must be an array of [name, value] pairs'
      for (const pair of v as unknown[]) {
        if (!Array.isArray(pair) || pair.length !== 2) return 'must be an array of [name, value] pairs'
        for (const s of pair as unknown[]) {
          if (typeof s !== 'string') return 'must be an array of [name, value] string pairs'
          const p = stringProblem(s)
          // v5 [MQTT-1.5.7-1]: both strings of a pair obey the UTF-8 string rules.
          if (p !== undefined) return `${utf8Rule(p, 5)}, v5 [MQTT-1.5.7-1]`
        }
      }
      return undefined
    }
  }
}

/** Before encoding: every key is a property allowed in `context`, every value of its type. */
export function checkPropertyShapes (props: object | undefined, context: PropertyContext): QosmosError | undefined {
  if (props === undefined) return undefined
  const bit = contextBit(context)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue
    if (key === 'subscriptionIdentifiers' && context === 'publish') {
      if (!Array.isArray(value) || !(value as unknown[]).every(v => isUint(v, MAX_VARIABLE_BYTE_INTEGER))) {
        return new ProtocolViolationError('subscriptionIdentifiers must be integers 1..268435455')
      }
      continue
    }
    const def = PROPERTY_BY_NAME.get(key)
    // v5 2.2.2.2: each property is valid only in the packets listed for it.
    if (def === undefined || (def.contexts & bit) === 0) return new ProtocolViolationError(`property ${key} is not allowed in ${context}: v5 2.2.2.2`)
    const problem = valueProblem(key, def.type, value)
    if (problem !== undefined) return new ProtocolViolationError(`property ${key} ${problem}`)
  }
  return undefined
}

/** Values the spec makes Protocol Errors, in both directions. */
export function checkPropertyValues (props: Loose | undefined, context: PropertyContext): QosmosError | undefined {
  if (props === undefined) return undefined
  if (context === 'connect' || context === 'connack') {
    // v5 3.1.2.11.3 / 3.2.2.3.3: "It is a Protocol Error to include ... a value of 0" for Receive Maximum.
    if (props.receiveMaximum === 0) return new ProtocolViolationError(`Receive Maximum 0 in ${context}: v5 3.1.2.11.3/3.2.2.3.3`)
    // v5 3.1.2.11.4 / 3.2.2.3.6: Maximum Packet Size 0 is a Protocol Error.
    if (props.maximumPacketSize === 0) return new ProtocolViolationError(`Maximum Packet Size 0 in ${context}: v5 3.1.2.11.4/3.2.2.3.6`)
  }
  if (context === 'connect' && props.authenticationData !== undefined && props.authenticationMethod === undefined) {
    // v5 3.1.2.11.10: Authentication Data without an Authentication Method is a Protocol Error.
    return new ProtocolViolationError('Authentication Data without Authentication Method: v5 3.1.2.11.10')
  }
  if (context === 'publish') {
    // v5 [MQTT-3.3.2-8]: a Topic Alias of 0 is not permitted.
    if (props.topicAlias === 0) return new TopicAliasInvalidError('Topic Alias 0: v5 [MQTT-3.3.2-8]')
    const ids = props.subscriptionIdentifiers
    // v5 3.3.2.3.8: a Subscription Identifier of 0 is a Protocol Error.
    if (Array.isArray(ids) && ids.includes(0)) return new ProtocolViolationError('Subscription Identifier 0: v5 3.3.2.3.8')
  }
  if (context === 'subscribe' && props.subscriptionIdentifier === 0) {
    // v5 3.8.2.1.2: a Subscription Identifier of 0 is a Protocol Error.
    return new ProtocolViolationError('Subscription Identifier 0: v5 3.8.2.1.2')
  }
  if ((context === 'publish' || context === 'will') && typeof props.responseTopic === 'string') {
    const rt = props.responseTopic
    // v5 [MQTT-3.3.2-14] (and 3.1.3.2.5 for the Will): the Response Topic is a Topic Name, no wildcards.
    if (rt.length === 0 || rt.includes('+') || rt.includes('#')) {
      return new ProtocolViolationError(`Response Topic ${JSON.stringify(rt)} is not a valid Topic Name: v5 [MQTT-3.3.2-14]`)
    }
  }
  return undefined
}
