/**
 * v5 Message Expiry: a message carries the time it was received; when it is forwarded, its
 * Message Expiry Interval is reduced by the time it waited in the server (v5 [MQTT-3.3.2-6]),
 * and an expired message that has not started delivery is dropped (v5 [MQTT-3.3.2-5]).
 */
import type { ApplicationMessage } from '../qos/types.js'

/** Seconds left before the message expires at `now`; undefined when it never expires. */
export function remainingSeconds (message: ApplicationMessage, receivedAt: number, now: number): number | undefined {
  const interval = message.properties?.messageExpiryInterval
  if (interval === undefined) return undefined
  return interval - Math.floor((now - receivedAt) / 1000)
}

/** The message as it is to be forwarded at `now`, or undefined when it has expired. */
export function forwardable (message: ApplicationMessage, receivedAt: number, now: number): ApplicationMessage | undefined {
  const left = remainingSeconds(message, receivedAt, now)
  if (left === undefined) return message
  if (left <= 0) return undefined
  if (left === message.properties?.messageExpiryInterval) return message
  return { ...message, properties: { ...message.properties, messageExpiryInterval: left } }
}
