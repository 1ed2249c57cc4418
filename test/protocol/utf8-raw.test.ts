/**
 * rawStringProblem checks short ASCII strings in place and everything else with node's isUtf8;
 * both paths must give what the rules give: v3.1.1 [MQTT-1.5.3-1] / v5 [MQTT-1.5.4-1] ill-formed
 * UTF-8 first, then v3.1.1 [MQTT-1.5.3-2] / v5 [MQTT-1.5.4-2] U+0000.
 */
import test from 'ava'
import { isUtf8 } from 'node:buffer'
import { rawStringProblem } from '../../lib/protocol/utf8.js'

function reference (bytes: Buffer): string | undefined {
  if (bytes.length === 0) return undefined
  if (!isUtf8(bytes)) return 'ill-formed'
  if (bytes.includes(0)) return 'null-character'
  return undefined
}

/** Small deterministic generator, so a failure names a reproducible case. */
function* cases (count: number): Generator<Buffer> {
  let seed = 0x2545f491
  const next = (): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0 }
  const pieces = [[0x41], [0x00], [0x2f], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0x80], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xff]]
  for (let n = 0; n < count; n++) {
    const length = next() % (n % 10 === 0 ? 400 : 24)
    const bytes: number[] = []
    while (bytes.length < length) {
      const piece = next() % 100 < 85 ? [0x20 + (next() % 0x5f)] : pieces[next() % pieces.length] as number[]
      bytes.push(...piece)
    }
    yield Buffer.from(bytes)
  }
}

test('v3.1.1 [MQTT-1.5.3-1] [MQTT-1.5.3-2] v5 [MQTT-1.5.4-1] [MQTT-1.5.4-2]: the in-place ASCII check and the full check agree with the rules, at any offset', (t) => {
  let checked = 0
  for (const bytes of cases(4000)) {
    const framed = Buffer.concat([Buffer.from([0xff, 0x00, 0x41]), bytes, Buffer.from([0x00, 0xc3])])
    const got = rawStringProblem(framed, 3, 3 + bytes.length)
    if (got !== reference(bytes)) t.fail(`${bytes.toString('hex')}: got ${String(got)}, want ${String(reference(bytes))}`)
    checked++
  }
  t.is(checked, 4000)
})

test('v3.1.1 [MQTT-1.5.3-1] v5 [MQTT-1.5.4-1]: an ill-formed byte after U+0000 is reported as ill-formed, on both sides of the in-place limit', (t) => {
  for (const length of [10, 256, 257, 300]) {
    const bytes = Buffer.alloc(length, 0x61)
    bytes[1] = 0x00
    bytes[length - 1] = 0xff
    t.is(rawStringProblem(bytes, 0, length), 'ill-formed', `length ${length}`)
    bytes[length - 1] = 0x62
    t.is(rawStringProblem(bytes, 0, length), 'null-character', `length ${length}`)
    bytes[1] = 0x61
    t.is(rawStringProblem(bytes, 0, length), undefined, `length ${length}`)
  }
})
