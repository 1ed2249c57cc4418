/**
 * The state of an accepted connection (ConnectionState 'Connected'), which is also what its
 * session writes to and delivers through (SessionIo). One object with prototype methods, and
 * inbound topic aliases only once a PUBLISH uses one: every connected client holds one of these
 * for as long as it stays, so two objects and two closures here were a few hundred bytes per
 * idle connection (bench/micro/idle-heap.ts).
 */
import type { ApplicationMessage } from '../../qos/types.js'
import type { Packet } from '../../protocol/packets.js'
import type { SessionIo } from '../../session/types.js'
import type { ClientSession } from '../client-session.js'
import type { Connection } from '../connection.js'
import type { BrokerContext } from '../context.js'
import { InboundTopicAliases } from '../topic-alias.js'

export class Connected implements SessionIo {
  readonly cs: ClientSession
  readonly #ctx: BrokerContext
  readonly #conn: Connection
  #aliasesIn: InboundTopicAliases | undefined
  /** v5: the Authentication Method of the CONNECT, for re-authentication (v5 4.12.1). */
  reauth: string | undefined
  /** A DISCONNECT ended the connection (no error to report). */
  normalDisconnect = false

  constructor (ctx: BrokerContext, conn: Connection, cs: ClientSession, reauth: string | undefined) {
    this.#ctx = ctx
    this.#conn = conn
    this.cs = cs
    this.reauth = reauth
  }

  get phase (): 'Connected' { return 'Connected' }

  /** The topic aliases the client set on this connection (v5 [MQTT-3.3.2-10]); up to our Topic Alias Maximum, none for 3.1.1. */
  get aliasesIn (): InboundTopicAliases {
    return this.#aliasesIn ??= new InboundTopicAliases(this.#conn.protocolVersion === 5 ? this.#ctx.limits.topicAliasMaximum : 0)
  }

  send (packet: Packet): void { this.#conn.send(packet) }

  /** Acknowledge after durable: the PUBACK/PUBREC waits for the promise, if routing returns one. */
  deliver (message: ApplicationMessage): Promise<void> | undefined {
    return this.#ctx.router.publish(message, this.cs.clientId, this.cs.info)
  }
}
