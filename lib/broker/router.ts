/**
 * The router: the single owner of routing decisions. A message accepted from a publisher (or a
 * will, or $SYS) updates the retained store, is matched against the topic tree, and one copy
 * per matching client (one member per shared subscription) goes to that client's session at
 * QoS min(published, granted) (v5 [MQTT-3.8.4-8], v3.1.1 [MQTT-3.8.4-6]).
 */
import { SessionClosedError } from '../core/errors.js'
import type { ApplicationMessage } from '../qos/types.js'
import type { QoS } from '../protocol/packets.js'
import type { Done } from '../session/index.js'
import type { BrokerContext } from './context.js'
import { DurableAck } from './durable-ack.js'
import { channels } from './events.js'
import { forwardable } from './message-expiry.js'
import type { ClientInfo } from './options.js'
import type { Share } from './shared-groups.js'
import { splitByRetainAsPublished, type ClientDelivery, type Subscription } from './topic-tree.js'

export class Router {
  readonly #ctx: BrokerContext

  constructor (ctx: BrokerContext) { this.#ctx = ctx }

  /**
   * Routes one message. For a QoS 1/2 message, returns a promise when some copy is still being
   * written to the store (durable-ack.ts): the publisher is acknowledged when it settles, and
   * not at all when it rejects. With a synchronous store it returns undefined.
   */
  publish (message: ApplicationMessage, publisherId: string | undefined, publisher: ClientInfo | undefined): Promise<void> | undefined {
    const ctx = this.#ctx
    const now = ctx.clock.now()
    const durable = message.qos > 0 ? new DurableAck() : undefined
    ctx.stats.publishReceived++
    // Properties that belong to the publisher's connection do not travel on, nor are they
    // retained: a Topic Alias kept with a retained message would reach later subscribers that
    // never agreed to it (v5 [MQTT-3.3.2-7], [MQTT-3.3.2-11]).
    const outbound = message.properties?.topicAlias === undefined && message.properties?.subscriptionIdentifiers === undefined
      ? message
      : stripConnectionProperties(message)
    if (message.retain && ctx.limits.retainAvailable && ctx.retained.update(outbound, now) !== 'unchanged') {
      const stored = message.payload.length === 0 ? undefined : { message: outbound, receivedAt: now }
      if (durable === undefined) ctx.persist(store => store.retainedChanged(message.topic, stored))
      else durable.wait(ctx.store.retainedChanged(message.topic, stored))
    }
    if (ctx.events.listenerCount('publish') > 0) ctx.events.emit('publish', message, publisher)
    if (channels.publish.hasSubscribers) channels.publish.publish({ topic: message.topic, qos: message.qos, retain: message.retain, clientId: publisherId })
    const published = ctx.hooks.published
    if (published !== undefined) notify(ctx, () => published(message, publisher))
    const match = ctx.tree.match(message.topic, publisherId)
    // Indexed loops: an array iterator here is not optimised away (one per message).
    const clients = match.clients
    for (let i = 0; i < clients.length; i++) {
      const d = clients[i] as ClientDelivery<Subscription>
      // v5 3.3.4: a client whose matching subscriptions disagree on Retain As Published gets one
      // copy per setting (RETAIN kept, v5 [MQTT-3.3.1-13]; RETAIN 0, [MQTT-3.3.1-12]), each
      // with its own subscriptions' QoS and identifiers (v5 [MQTT-3.3.4-5]).
      if (outbound.retain && d.retainAsPublished && d.subscriptions.length > 1 && ctx.registry.get(d.clientId)?.protocolVersion === 5) {
        const copies = splitByRetainAsPublished(d)
        if (copies.length > 1) {
          for (const c of copies) this.#deliver(c.clientId, outbound, c.qos, c.subscriptionIdentifiers, c.retainAsPublished, undefined, durable)
          continue
        }
      }
      this.#deliver(d.clientId, outbound, d.qos, d.subscriptionIdentifiers, d.retainAsPublished, undefined, durable)
    }
    const shares = match.shares
    for (let i = 0; i < shares.length; i++) this.#deliverShared(shares[i] as Share<Subscription>, outbound, now, undefined, durable)
    return durable?.settled()
  }

  /**
   * v5 4.8.2: one member of the Share gets the message; a connected member first, else any (it
   * is queued in that member's session). A QoS 1 copy whose member's session ends before the
   * PUBACK (unacknowledged in flight, or still queued) goes to another member, as 4.8.2 says the
   * Server SHOULD. A QoS 2 copy moves only if it was never sent: once its PUBLISH went out it
   * stays with that member (v5 [MQTT-4.8.2-4] [MQTT-4.8.2-5]). A copy the member refused with a
   * failure PUBACK never moves (v5 [MQTT-4.8.2-6]: that settles with PublishRejectedError).
   * A moved copy keeps counting its Message Expiry from `receivedAt` (v5 [MQTT-3.3.2-6]), and
   * is dropped once expired (v5 [MQTT-3.3.2-5]).
   */
  #deliverShared (share: Share<Subscription>, original: ApplicationMessage, receivedAt: number, previous: string | undefined, durable?: DurableAck): void {
    const { registry, tree } = this.#ctx
    const message = previous === undefined ? original : forwardable(original, receivedAt, this.#ctx.clock.now())
    if (message === undefined) { this.#ctx.stats.publishDropped++; return }
    const member = tree.pickMember(share, m => m.clientId !== previous && registry.get(m.clientId)?.connection !== undefined) ??
      tree.pickMember(share, m => m.clientId !== previous)
    if (member === undefined) {
      if (previous !== undefined) this.#ctx.stats.publishDropped++
      return
    }
    const ids = member.subscriptionIdentifier === undefined ? NO_IDS : [member.subscriptionIdentifier]
    const done: Done | undefined = message.qos === 0 || member.qos === 0
      ? undefined
      : (error) => {
          if (error instanceof SessionClosedError && (member.qos === 1 || message.qos === 1 || error.neverSent)) this.#deliverShared(share, original, receivedAt, member.clientId)
        }
    this.#deliver(member.clientId, message, member.qos, ids, member.retainAsPublished === true, done, durable)
  }

  /**
   * One copy to one client. RETAIN is kept only for Retain As Published subscriptions
   * (v5 [MQTT-3.3.1-12] [MQTT-3.3.1-13]; always cleared for 3.1.1, [MQTT-3.3.1-9]); the
   * Subscription Identifiers of every matching subscription go with it (v5 [MQTT-3.3.4-3]).
   */
  #deliver (clientId: string, message: ApplicationMessage, granted: QoS, subscriptionIds: readonly number[], retainAsPublished: boolean, done?: Done, durable?: DurableAck): void {
    const ctx = this.#ctx
    const target = ctx.registry.get(clientId)
    if (target === undefined) { ctx.stats.publishDropped++; return }
    const qos = (message.qos < granted ? message.qos : granted)
    const retain = message.retain && retainAsPublished && target.protocolVersion === 5
    let out = message
    if (qos !== message.qos || retain !== message.retain) out = { ...message, qos, retain }
    if (subscriptionIds.length > 0 && target.protocolVersion === 5) {
      out = { ...out, properties: { ...out.properties, subscriptionIdentifiers: subscriptionIds } }
    }
    // Only a session with a store records its copy: the others have nothing to wait for.
    const tracked = target.persistent ? durable : undefined
    const forward = ctx.hooks.authorizeForward
    if (forward !== undefined) {
      const allowed = forward(target.info, out)
      if (allowed === false) { ctx.stats.publishDropped++; return }
      if (allowed !== true) {
        const copy = out
        const stored = tracked?.track()
        allowed.then(ok => { if (ok) { target.publish(copy, done, stored) } else { ctx.stats.publishDropped++; stored?.(undefined) } },
          (err: unknown) => { ctx.logger.error({ err, clientId }, 'authorizeForward failed; message not forwarded'); stored?.(undefined) })
        return
      }
    }
    target.publish(out, done, tracked?.track())
  }
}

const NO_IDS: readonly number[] = Object.freeze([])

function stripConnectionProperties (message: ApplicationMessage): ApplicationMessage {
  const { topicAlias: _a, subscriptionIdentifiers: _s, ...properties } = message.properties ?? {}
  return { ...message, properties }
}

function notify (ctx: BrokerContext, fn: () => void | Promise<void>): void {
  try {
    const r = fn()
    if (r !== undefined) r.catch((err: unknown) => ctx.logger.error({ err }, 'published hook failed'))
  } catch (err) {
    ctx.logger.error({ err }, 'published hook failed')
  }
}
