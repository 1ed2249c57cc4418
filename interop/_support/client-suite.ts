/**
 * Registers the client cases (client-cases.ts) against one third-party broker, for each protocol
 * version, and records them as that broker's matrix column. A feature the broker lacks is not
 * assumed: a test shows what the broker does instead, and its pass is recorded as n/a with that
 * observation; a version the broker does not speak is shown the same way, by its refusal.
 */
import test from 'ava'
import { ConnectionRefusedError } from '../../lib/core/errors.js'
import type { BrokerDriver } from './brokers.js'
import { clientCases, type ClientCase } from './client-cases.js'
import { qosmosClient } from './client-side.js'
import { FEATURES, V5_ONLY, type Feature, type Version } from './matrix.js'
import { Scope } from './peer.js'
import { rawSide } from './qosmos.js'
import { recorder } from './recorder.js'
import { gate } from './suite.js'

/** A feature the broker lacks: what the replacing test observes (the n/a note) and the test. */
export interface NotApplicable { readonly note: string, readonly body: ClientCase }

export interface ClientSuiteOptions {
  readonly concurrency?: number
  readonly notApplicable?: Partial<Record<Feature, NotApplicable>>
}

let nextClient = 0

/** The qosmos client's CONNECT at a level the broker does not speak is refused, and connect() rejects. */
const refusedVersion: ClientCase = async ({ t, s, port, v }) => {
  const error = await t.throwsAsync(qosmosClient(s, port, v, { connectTimeout: 5000 }))
  t.log(`${error?.constructor.name ?? 'no error'}: ${error?.message ?? ''}`)
  t.true(error instanceof ConnectionRefusedError, 'refused with a CONNACK return code, not a timeout or a decode error')
  // v3.1.1 return code 1 / v5 0x84: unacceptable / unsupported protocol version.
  t.is((error as ConnectionRefusedError).reasonCode, 0x84)
}

export function registerClientSuite (broker: BrokerDriver, file: string, options: ClientSuiteOptions = {}): void {
  const rec = recorder(file, broker.tool)
  const limit = gate(options.concurrency ?? 4)
  const register = (title: string, body: ClientCase, v: Version): void => {
    test(title, t => limit(async () => {
      const s = new Scope()
      t.teardown(() => s.close()) // also when ava gives up on the test
      try {
        const { port } = await broker.start(s)
        await body({ t, s, port, v, id: `qc-${v}-${process.pid}-${++nextClient}`, raw: rawSide(s, port) })
      } finally {
        await s.close() // inside the gate, so the next case starts on a quiet machine
      }
    }))
  }
  for (const v of [4, 5] as const) {
    const features = (Object.keys(FEATURES) as Feature[]).filter(f => v === 5 || !V5_ONLY.has(f))
    const versionLabel = v === 5 ? '5.0' : '3.1.1'
    if (broker.missing !== undefined) {
      for (const feature of features) {
        rec.skipped({ peer: broker.id, version: v, feature }, broker.missing)
        test.skip(`${broker.label} MQTT ${versionLabel} ${feature} [skipped: ${broker.missing}]`, () => {})
      }
      continue
    }
    if (!broker.versions.includes(v)) {
      const title = `${broker.label} MQTT ${versionLabel}: the broker refuses the client's CONNECT at protocol level ${v} (CONNACK unacceptable protocol version)`
      rec.expect(title, features.map(feature => ({ peer: broker.id, version: v, feature })), `${broker.name} has no MQTT ${v === 5 ? '5' : '3.1.1'}: the client's CONNECT is refused with return code 1, unacceptable protocol version`)
      register(title, refusedVersion, v)
      continue
    }
    for (const feature of features) {
      const na = options.notApplicable?.[feature]
      const title = na === undefined
        ? `${broker.label} MQTT ${versionLabel} ${feature}: ${FEATURES[feature]}`
        : `${broker.label} MQTT ${versionLabel} ${feature} not supported by the broker: ${na.note}`
      rec.expect(title, { peer: broker.id, version: v, feature }, na?.note)
      register(title, na?.body ?? clientCases[feature], v)
    }
  }
  rec.registered()
}
