/**
 * Our side of Receive Maximum (v5 3.3.4, 4.9): how many QoS 1/2 PUBLISH packets the peer has
 * sent on this connection that we have not yet acknowledged. The peer must keep that number at
 * most our Receive Maximum ([MQTT-3.3.4-7] for a client, [MQTT-3.3.4-9] for a server); one more
 * is a protocol error that the receiver answers with DISCONNECT 0x93 (v5 3.3.4).
 *
 * Counting errs on the peer's side: a QoS 1 PUBLISH counts until its PUBACK is sent; a QoS 2
 * flow counts until its PUBREL arrives (the peer counts it until PUBCOMP arrives, so it never
 * sees fewer than we do); flows carried over from an earlier connection are not counted.
 */
import { InvalidArgumentError, ReceiveMaximumExceededError } from '../core/errors.js'
import { DEFAULT_RECEIVE_MAXIMUM } from './send-quota.js'

export class InboundWindow {
  #maximum = DEFAULT_RECEIVE_MAXIMUM
  #qos1 = 0
  readonly #qos2 = new Set<number>()

  get maximum (): number { return this.#maximum }
  get unacknowledged (): number { return this.#qos1 + this.#qos2.size }

  /** A new connection, with the Receive Maximum we announced on it. */
  reset (maximum: number = DEFAULT_RECEIVE_MAXIMUM): void {
    if (!Number.isInteger(maximum) || maximum < 1 || maximum > 65535) {
      throw new InvalidArgumentError(`Receive Maximum must be an integer in 1..65535, got ${maximum}`)
    }
    this.#maximum = maximum
    this.#qos1 = 0
    this.#qos2.clear()
  }

  /** Checks that one more new QoS 1/2 PUBLISH is allowed; throws ReceiveMaximumExceededError (0x93) if not. */
  admit (): void {
    if (this.unacknowledged >= this.#maximum) throw new ReceiveMaximumExceededError(this.#maximum)
  }

  qos1Received (): void { this.#qos1++ }
  /** Its list ended: the PUBACK was sent, or will never be on this connection. */
  qos1Settled (): void { if (this.#qos1 > 0) this.#qos1-- }
  qos2Started (packetId: number): void { this.#qos2.add(packetId) }
  qos2Ended (packetId: number): void { this.#qos2.delete(packetId) }
}
