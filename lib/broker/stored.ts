/** Conversions between the broker's routing records and the store's (persistence/contract-broker.ts). */
import type { StoredSubscription } from '../persistence/contract-broker.js'
import type { Subscription } from './topic-tree.js'

export function subscriptionFromStored (clientId: string, stored: StoredSubscription): Subscription {
  return {
    clientId,
    filter: stored.topicFilter,
    qos: stored.qos,
    ...(stored.noLocal === true ? { noLocal: true } : {}),
    ...(stored.retainAsPublished === true ? { retainAsPublished: true } : {}),
    ...(stored.retainHandling !== undefined && stored.retainHandling !== 0 ? { retainHandling: stored.retainHandling } : {}),
    ...(stored.subscriptionIdentifier !== undefined ? { subscriptionIdentifier: stored.subscriptionIdentifier } : {})
  }
}

export function subscriptionToStored (sub: Subscription): StoredSubscription {
  return {
    topicFilter: sub.filter,
    qos: sub.qos,
    ...(sub.noLocal === true ? { noLocal: true } : {}),
    ...(sub.retainAsPublished === true ? { retainAsPublished: true } : {}),
    ...(sub.retainHandling !== undefined && sub.retainHandling !== 0 ? { retainHandling: sub.retainHandling } : {}),
    ...(sub.subscriptionIdentifier !== undefined ? { subscriptionIdentifier: sub.subscriptionIdentifier } : {})
  }
}
