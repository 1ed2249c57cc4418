/**
 * The send quota of MQTT 5 flow control (v5 4.9): how many more QoS 1/2 PUBLISH packets this
 * side may have unacknowledged towards the peer. For MQTT 3.1.1, which has no Receive Maximum,
 * the owner passes its own in-flight limit as the maximum.
 *
 * Only QoS 1/2 PUBLISH packets consume quota. Nothing here is consulted for any other packet,
 * so a zero quota never delays PUBACK, PUBREC, PUBREL, PUBCOMP, QoS 0 PUBLISH or control
 * packets (v5 [MQTT-4.9.0-3], [MQTT-3.3.4-8], [MQTT-3.3.4-10]).
 */
import { InvalidArgumentError } from '../core/errors.js'

/** v5 3.1.2.11.3 and 3.2.2.3.3: an absent Receive Maximum means 65535. */
export const DEFAULT_RECEIVE_MAXIMUM = 65535

export class SendQuota {
  #maximum: number
  #inFlight = 0

  constructor (receiveMaximum: number = DEFAULT_RECEIVE_MAXIMUM) {
    this.#maximum = checkMaximum(receiveMaximum)
  }

  /** The peer's Receive Maximum. */
  get maximum (): number { return this.#maximum }
  /** QoS 1/2 PUBLISH packets sent and not yet acknowledged. */
  get inFlight (): number { return this.#inFlight }
  /** The send quota: how many more may be sent now; never above the maximum, never below 0. */
  get available (): number { return Math.max(0, this.#maximum - this.#inFlight) }

  /** v5 [MQTT-4.9.0-2]: at zero quota no further QoS 1/2 PUBLISH is sent. */
  canSend (): boolean { return this.#inFlight < this.#maximum }

  /** v5 [MQTT-4.9.0-2]: a QoS 1/2 PUBLISH was sent; the quota goes down by one. */
  consume (): void { this.#inFlight++ }

  /**
   * v5 4.9: the quota goes up by one on PUBACK, on PUBCOMP, and on PUBREC with a reason code of
   * 0x80 or above, i.e. whenever an outbound QoS 1/2 flow ends. It never exceeds the maximum.
   */
  release (): void { if (this.#inFlight > 0) this.#inFlight-- }

  /**
   * A new connection: v5 [MQTT-4.9.0-1] the quota starts at the peer's Receive Maximum, less the
   * flows resent on it. Resent flows may exceed a smaller new maximum; then the quota stays at
   * zero until enough of them end.
   */
  reset (receiveMaximum: number, inFlight: number): void {
    this.#maximum = checkMaximum(receiveMaximum)
    this.#inFlight = inFlight
  }
}

/** v5 3.2.2.3.3 / 3.1.2.11.3: Receive Maximum is 1..65535; 0 is a protocol error. */
function checkMaximum (value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new InvalidArgumentError(`Receive Maximum must be an integer in 1..65535, got ${value}`)
  }
  return value
}
