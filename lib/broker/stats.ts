/** Broker-wide counters, published under $SYS and readable by embedders. */
export class BrokerStats {
  connectionsTotal = 0
  messagesReceived = 0
  messagesSent = 0
  bytesReceived = 0
  bytesSent = 0
  publishReceived = 0
  publishSent = 0
  /** Deliveries that found no session to go to, or were refused by authorizeForward. */
  publishDropped = 0
}
