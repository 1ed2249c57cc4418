/** What `publish`, `subscribe` and `unsubscribe` turn the application's arguments into (validated). */
import { InvalidArgumentError } from '../core/errors.js'
import { validateTopicFilter, validateTopicName } from '../protocol/index.js'
import type { ProtocolVersion, PublishProperties, SubscriptionRequest } from '../protocol/packets.js'
import type { ApplicationMessage } from '../qos/types.js'
import { toQos, type PublishOptions, type SubscribeOptions } from './options.js'

export function buildMessage (version: ProtocolVersion, topic: string, payload: Buffer | string | Uint8Array, options: PublishOptions): ApplicationMessage {
  const invalid = validateTopicName(topic, version)
  if (invalid !== undefined) throw invalid
  // v5 [MQTT-3.3.4-6]: no Subscription Identifier from a client; aliases are the wire's business.
  const { subscriptionIdentifiers: _s, topicAlias: _a, ...properties } = (options.properties ?? {}) as PublishProperties
  return {
    topic,
    payload: typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
    qos: toQos(options.qos),
    retain: options.retain ?? false,
    ...(options.properties === undefined || version !== 5 ? {} : { properties })
  }
}

export function filterList (filters: string | readonly string[], verb: 'subscribe' | 'unsubscribe'): string[] {
  const list = typeof filters === 'string' ? [filters] : [...filters]
  // v5 [MQTT-3.8.3-2] / [MQTT-3.10.3-2]: at least one topic filter.
  if (list.length === 0) throw new InvalidArgumentError(`${verb}() needs at least one topic filter`)
  return list
}

export function buildSubscriptions (version: ProtocolVersion, filters: readonly string[], options: SubscribeOptions): SubscriptionRequest[] {
  for (const filter of filters) {
    const invalid = validateTopicFilter(filter, version)
    if (invalid !== undefined) throw invalid
  }
  const qos = toQos(options.qos)
  return filters.map(topicFilter => ({
    topicFilter,
    qos,
    ...(options.noLocal === undefined ? {} : { noLocal: options.noLocal }),
    ...(options.retainAsPublished === undefined ? {} : { retainAsPublished: options.retainAsPublished }),
    ...(options.retainHandling === undefined ? {} : { retainHandling: options.retainHandling })
  }))
}
