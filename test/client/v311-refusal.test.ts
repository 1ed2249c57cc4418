/**
 * A server that speaks only MQTT 3.1.1 answers a v5 CONNECT as 3.1.1 tells it to (v3.1.1
 * [MQTT-3.1.2-2]: CONNACK return code 0x01, unacceptable protocol level, then close): a 4-byte
 * CONNACK without the Property Length v5 has. The v5 client reports that as a refusal the
 * application can act on (fall back to 3.1.1), not as a malformed packet. Found by the interop
 * test against aedes (interop/client-vs-aedes.test.ts, MQTT 5.0).
 */
import test from 'ava'
import { connect } from '../../lib/client/index.js'
import { ConnectionRefusedError } from '../../lib/core/errors.js'
import { PacketDecoder } from '../../lib/protocol/index.js'
import { createMemoryPair } from '../../lib/transport/memory.js'

for (const returnCode of [1, 5] as const) {
  test(`v5 client, 3.1.1 CONNACK with return code ${returnCode} from a 3.1.1-only server: connect() rejects with ConnectionRefusedError carrying the return code and its v5 reason code`, async t => {
    const [clientEnd, serverEnd] = createMemoryPair()
    const decoder = new PacketDecoder({ protocolVersion: 5 })
    serverEnd.on('data', (chunk: Buffer) => {
      if (decoder.push(chunk).packets.some(p => p.type === 'connect' && p.protocolVersion === 5)) {
        serverEnd.write(Buffer.from([0x20, 0x02, 0x00, returnCode])) // a 3.1.1 CONNACK
        serverEnd.end()
      }
    })
    const error = await t.throwsAsync(connect(undefined, { protocolVersion: 5, reconnect: false, stream: clientEnd, connectTimeout: 5000 }))
    t.true(error instanceof ConnectionRefusedError, `${error?.constructor.name ?? ''}: ${error?.message ?? ''}`)
    t.is((error as ConnectionRefusedError).returnCode, returnCode)
    t.is((error as ConnectionRefusedError).reasonCode, returnCode === 1 ? 0x84 : 0x87, '0x84 Unsupported Protocol Version / 0x87 Not authorized')
  })
}
