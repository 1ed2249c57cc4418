/**
 * One connection attempt: open the byte stream, send CONNECT, run the v5 AUTH exchange if there
 * is one, and wait for CONNACK. Resolves with the open Wire and the accepted CONNACK; rejects with
 * ConnectionRefusedError (reason code), ConnectTimeoutError or the transport's error.
 */
import type { Duplex } from 'node:stream'
import type { Clock } from '../core/clock.js'
import { ConnectionLostError, ConnectionRefusedError, ConnectTimeoutError, ProtocolViolationError } from '../core/errors.js'
import type { AuthPacket, ConnackPacket, ConnectPacket, Packet, ProtocolVersion } from '../protocol/packets.js'
import type { AuthHandler } from './options.js'
import { Wire, type WireHandlers } from './wire.js'

/** v3.1.1 CONNACK return codes 1..5 as the v5 reason codes that mean the same. */
const RETURN_CODE_REASON: Readonly<Record<number, number>> = { 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87 }

export interface HandshakeOptions {
  readonly open: () => Promise<Duplex>
  readonly connect: ConnectPacket
  readonly clock: Clock
  readonly connectTimeout: number
  readonly maxPacketSize?: number
  readonly topicAliasMaximum: number
  readonly onAuth: AuthHandler | undefined
  /** Receives every packet after CONNACK and the close of the connection. */
  readonly handlers: WireHandlers
  /** Called at once on CONNACK 0x00, before any packet that follows it is handled; a throw refuses the connection. */
  readonly accepted: (wire: Wire, connack: ConnackPacket) => void
}

export interface Handshake {
  readonly wire: Wire
  readonly connack: ConnackPacket
}

export async function handshake (options: HandshakeOptions): Promise<Handshake> {
  const stream = await options.open()
  const version: ProtocolVersion = options.connect.protocolVersion
  return await new Promise<Handshake>((resolve, reject) => {
    let settled = false
    const fail = (error: Error): void => {
      if (settled) return
      settled = true
      options.clock.clearTimeout(timer)
      wire.destroy()
      reject(error)
    }
    const timer = options.clock.setTimeout(() => { fail(new ConnectTimeoutError(options.connectTimeout)) }, options.connectTimeout)
    // A 3.1.1-only server answers our v5 CONNECT with a 3.1.1 CONNACK (v3.1.1 [MQTT-3.1.2-2]: return
    // code 0x01 and close). It has no Property Length, so the v5 decoder would call it malformed;
    // read before the decoder sees it, it is the refusal it means (0x01 -> 0x84 Unsupported Protocol Version).
    if (version === 5) {
      stream.once('data', (chunk: Buffer) => {
        const returnCode = chunk.length >= 4 && chunk[0] === 0x20 && chunk[1] === 0x02 ? chunk[3] ?? 0 : 0
        if (returnCode >= 1 && returnCode <= 5) fail(new ConnectionRefusedError(RETURN_CODE_REASON[returnCode] ?? 0x80, { returnCode }))
      })
    }
    const during: WireHandlers = {
      packet: (packet) => {
        if (settled) { options.handlers.packet(packet); return }
        onHandshakePacket(packet)
      },
      closed: (error) => {
        if (!settled) { fail(error ?? new ConnectionLostError('the connection closed before CONNACK')); return }
        options.handlers.closed(error)
      },
      oversized: (packet, error) => {
        if (!settled) { fail(error); return }
        options.handlers.oversized(packet, error)
      }
    }
    const wire = new Wire(stream, during, {
      version,
      clock: options.clock,
      topicAliasMaximum: options.topicAliasMaximum,
      ...(options.maxPacketSize === undefined ? {} : { maxPacketSize: options.maxPacketSize })
    })

    const onHandshakePacket = (packet: Packet): void => {
      switch (packet.type) {
        case 'connack': {
          const refused = refusal(packet, version)
          if (refused !== undefined) {
            // v5 [MQTT-3.2.2-7] / v3.1.1 [MQTT-3.2.2-5]: a refusing CONNACK is followed by the close.
            fail(refused)
            return
          }
          try {
            options.accepted(wire, packet)
          } catch (error) {
            wire.fail(error as Error)
            fail(error as Error)
            return
          }
          settled = true
          options.clock.clearTimeout(timer)
          resolve({ wire, connack: packet })
          return
        }
        case 'auth':
          void answerAuth(packet).catch(fail)
          return
        default:
          // v5 [MQTT-3.2.0-1], v3.1.1 [MQTT-3.2.0-1]: the first packet from the server is CONNACK.
          wire.fail(new ProtocolViolationError(`${packet.type.toUpperCase()} before CONNACK`))
          fail(new ProtocolViolationError(`the server sent ${packet.type.toUpperCase()} before CONNACK`))
      }
    }

    /** v5 4.12: each AUTH 0x18 from the server is answered with AUTH 0x18 carrying the handler's data. */
    const answerAuth = async (packet: AuthPacket): Promise<void> => {
      const method = options.connect.properties?.authenticationMethod
      if (version !== 5 || method === undefined || options.onAuth === undefined || packet.reasonCode !== 0x18) {
        // v5 [MQTT-4.12.0-6]: AUTH without an Authentication Method in CONNECT is a protocol error.
        wire.fail(new ProtocolViolationError('unexpected AUTH during CONNECT'))
        throw new ProtocolViolationError('the server sent an unexpected AUTH')
      }
      const data = await options.onAuth({ method, data: packet.properties?.authenticationData, reasonCode: packet.reasonCode })
      // v5 [MQTT-4.12.0-5]: the same Authentication Method as in CONNECT.
      wire.send({ type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: method, ...(data === undefined ? {} : { authenticationData: data }) } })
    }

    wire.send(options.connect)
  })
}

function refusal (connack: ConnackPacket, version: ProtocolVersion): ConnectionRefusedError | undefined {
  if (connack.reasonCode === 0) return undefined
  const props = connack.properties
  if (version === 5) {
    return new ConnectionRefusedError(connack.reasonCode, {
      ...(props?.reasonString === undefined ? {} : { reasonString: props.reasonString }),
      ...(props?.serverReference === undefined ? {} : { serverReference: props.serverReference })
    })
  }
  return new ConnectionRefusedError(RETURN_CODE_REASON[connack.reasonCode] ?? 0x80, { returnCode: connack.reasonCode })
}
