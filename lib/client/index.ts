/**
 * `connect(url, options)`: an MQTT 3.1, 3.1.1 and 5.0 client on the same QoS machines and
 * session as the broker. Resolves once the first CONNACK accepted the connection; rejects with
 * ConnectionRefusedError (reason code), ConnectTimeoutError or the transport's error.
 */
import { Client } from './client.js'
import type { ClientOptions } from './options.js'

export async function connect (url: string | undefined, options: ClientOptions = {}): Promise<Client> {
  const client = new Client(url, options)
  await client.start()
  return client
}

export { Client, type ClientEventMap, type Message } from './client.js'
export { Subscription } from './subscription.js'
export type {
  AuthChallenge, AuthHandler, ClientOptions, EndOptions, PublishOptions, QoSInput, ReconnectOptions, SubscribeOptions, UnsubscribeOptions, WillOptions
} from './options.js'
export { backoffDelay, backoffPolicy, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js'
export {
  ClientClosedError, ConnectionLostError, ConnectionRefusedError, ConnectTimeoutError, InvalidArgumentError, InvalidTopicFilterError,
  InvalidTopicNameError, KeepAliveTimeoutError, MessageExpiredError, NotConnectedError, PacketTooLargeError, PublishRejectedError,
  QosmosError, QueueFullError, ServerDisconnectError, SessionClosedError, StorageError, SubscribeRejectedError
} from '../core/errors.js'
