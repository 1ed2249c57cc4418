/**
 * The property section of a v5 PUBLISH (v5 3.3.2.3), written and read by hand for the codec's
 * fast path (fast-codec.ts). Both directions give exactly what the general path gives:
 *
 * - Writing: the general path hands mqtt-packet a copy of the properties object in the caller's
 *   key order, Subscription Identifiers renamed (one id a number, several an array, none left
 *   out), User Properties moved last (codec-encode.ts), and mqtt-packet writes its keys in that
 *   order. So do we: each property where its key stands, the User Properties last, in their own
 *   order (v5 [MQTT-3.3.2-18]). A key that is not a PUBLISH property declines (the general path's
 *   job, and its error).
 * - Reading: mqtt-packet builds its object in wire order of each identifier's first appearance
 *   (repeats of Subscription Identifier and User Property join the first), and codec-decode.ts
 *   keeps that order. So do we, on a section the raw walk (scan.ts) has already checked: known
 *   identifiers allowed in a PUBLISH, no forbidden repeats, every value inside the section,
 *   UTF-8 well-formed, Payload Format Indicator 0 or 1.
 */
import { readVariableByteInteger, vbiSize, writeVariableByteInteger, type VbiResult } from './frame.js'
import type { PublishProperties, UserProperties } from './packets.js'
import { PROPERTY_BY_NAME, SUBSCRIPTION_IDENTIFIER_ID, USER_PROPERTY_ID, type PropertyDef } from './properties.js'

/** `publishPropertiesSize` result for a properties object the fast path leaves to the general path. */
export const DECLINE = -1

/** A property's identifier, from the one table of them (properties.ts). */
function idOf (name: keyof PublishProperties): number {
  return (PROPERTY_BY_NAME.get(name) as PropertyDef).id
}

const PAYLOAD_FORMAT_INDICATOR = idOf('payloadFormatIndicator')
const MESSAGE_EXPIRY_INTERVAL = idOf('messageExpiryInterval')
const CONTENT_TYPE = idOf('contentType')
const RESPONSE_TOPIC = idOf('responseTopic')
const CORRELATION_DATA = idOf('correlationData')
const TOPIC_ALIAS = idOf('topicAlias')

type Key = keyof PublishProperties
type Mutable = { -readonly [K in Key]?: Exclude<PublishProperties[K], undefined> }

/**
 * Bytes of the properties (without the Property Length in front of them), or DECLINE for a key
 * that is not a PUBLISH property or is not the object's own. The values have been validated
 * (validate-properties.ts: types and ranges) before.
 */
export function publishPropertiesSize (props: PublishProperties): number {
  let size = 0
  for (const key in props) {
    const value = props[key as Key]
    if (value === undefined) continue
    if (!Object.hasOwn(props, key)) return DECLINE
    switch (key as Key) {
      case 'payloadFormatIndicator': size += 2; break
      case 'messageExpiryInterval': size += 5; break
      case 'topicAlias': size += 3; break
      case 'contentType': case 'responseTopic': size += 3 + Buffer.byteLength(value as string); break
      case 'correlationData': size += 3 + (value as Buffer).length; break
      case 'subscriptionIdentifiers':
        for (const id of value as readonly number[]) size += 1 + vbiSize(id)
        break
      case 'userProperties':
        for (const [name, text] of value as UserProperties) size += 5 + Buffer.byteLength(name) + Buffer.byteLength(text)
        break
      default: return DECLINE
    }
  }
  return size
}

/** A UTF-8 Encoded String (v5 1.5.4) at `p`; returns the position after it. */
function writeString (out: Buffer, p: number, s: string): number {
  const n = out.write(s, p + 2, 'utf8')
  out.writeUInt16BE(n, p)
  return p + 2 + n
}

/**
 * Writes the Property Length `size` (from publishPropertiesSize) and the properties at `pos`;
 * returns the position after them.
 */
export function writePublishProperties (out: Buffer, pos: number, props: PublishProperties, size: number): number {
  let p = writeVariableByteInteger(out, pos, size)
  let user: UserProperties | undefined
  for (const key in props) {
    const value = props[key as Key]
    if (value === undefined) continue
    switch (key as Key) {
      case 'payloadFormatIndicator':
        out[p++] = PAYLOAD_FORMAT_INDICATOR
        out[p++] = value === true ? 1 : 0
        break
      case 'messageExpiryInterval':
        out[p++] = MESSAGE_EXPIRY_INTERVAL
        p = out.writeUInt32BE(value as number, p)
        break
      case 'topicAlias':
        out[p++] = TOPIC_ALIAS
        p = out.writeUInt16BE(value as number, p)
        break
      case 'contentType':
        out[p++] = CONTENT_TYPE
        p = writeString(out, p, value as string)
        break
      case 'responseTopic':
        out[p++] = RESPONSE_TOPIC
        p = writeString(out, p, value as string)
        break
      case 'correlationData': {
        const data = value as Buffer
        out[p++] = CORRELATION_DATA
        p = out.writeUInt16BE(data.length, p)
        p += data.copy(out, p)
        break
      }
      case 'subscriptionIdentifiers':
        // v5 3.3.2.3.8: one property per identifier.
        for (const id of value as readonly number[]) {
          out[p++] = SUBSCRIPTION_IDENTIFIER_ID
          p = writeVariableByteInteger(out, p, id)
        }
        break
      case 'userProperties': user = value as UserProperties; break
      default: break // publishPropertiesSize declined any other key
    }
  }
  if (user !== undefined) {
    // v5 [MQTT-3.3.2-18]: User Properties in the order given, as the general path writes them: last.
    for (const [name, text] of user) {
      out[p++] = USER_PROPERTY_ID
      p = writeString(out, p, name)
      p = writeString(out, p, text)
    }
  }
  return p
}

const vbi: VbiResult = { value: 0, length: 0 }

/**
 * Reads the properties between `start` (just past the Property Length) and `end`, a section the
 * raw walk has checked and found to hold at least one property.
 */
export function readPublishProperties (frame: Buffer, start: number, end: number): PublishProperties {
  const out: Mutable = {}
  let p = start
  while (p < end) {
    const id = frame[p++] as number
    switch (id) {
      case PAYLOAD_FORMAT_INDICATOR: out.payloadFormatIndicator = frame[p++] !== 0; break
      case MESSAGE_EXPIRY_INTERVAL: out.messageExpiryInterval = frame.readUInt32BE(p); p += 4; break
      case TOPIC_ALIAS: out.topicAlias = frame.readUInt16BE(p); p += 2; break
      case CONTENT_TYPE: case RESPONSE_TOPIC: {
        const stop = p + 2 + frame.readUInt16BE(p)
        const text = frame.toString('utf8', p + 2, stop)
        if (id === CONTENT_TYPE) out.contentType = text; else out.responseTopic = text
        p = stop
        break
      }
      case CORRELATION_DATA: {
        const stop = p + 2 + frame.readUInt16BE(p)
        // A view of the frame, as the payload and as mqtt-packet's parser give it.
        out.correlationData = frame.subarray(p + 2, stop)
        p = stop
        break
      }
      case SUBSCRIPTION_IDENTIFIER_ID: {
        readVariableByteInteger(frame, p, end, vbi)
        p += vbi.length
        // v5 3.3.2.3.8: repeats are allowed; an id of 0 is refused by validation (validate-properties.ts).
        if (out.subscriptionIdentifiers === undefined) out.subscriptionIdentifiers = [vbi.value]
        else (out.subscriptionIdentifiers as number[]).push(vbi.value)
        break
      }
      default: {
        // USER_PROPERTY_ID, the only identifier left that the raw walk lets into a PUBLISH.
        const nameEnd = p + 2 + frame.readUInt16BE(p)
        const stop = nameEnd + 2 + frame.readUInt16BE(nameEnd)
        const pair = [frame.toString('utf8', p + 2, nameEnd), frame.toString('utf8', nameEnd + 2, stop)] as const
        if (out.userProperties === undefined) out.userProperties = [pair]
        else (out.userProperties as Array<readonly [string, string]>).push(pair)
        p = stop
      }
    }
  }
  return out
}
