import test from 'ava'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, loadStatements, renderConformance } from '../scripts/conformance-lib.js'

test('the statement lists hold 141 statements of 3.1.1 and 251 of 5.0', t => {
  const all = loadStatements()
  t.is(all.filter(s => s.version === '3.1.1').length, 141)
  t.is(all.filter(s => s.version === '5').length, 251)
})

test('every test citation names a real statement of its version, and n/a rows are consistent', t => {
  const { problems } = renderConformance()
  t.deepEqual(problems, [])
})

test('CONFORMANCE.md is up to date with the tests (run `npm run conformance` to regenerate)', t => {
  const { markdown } = renderConformance()
  const committed = readFileSync(join(ROOT, 'CONFORMANCE.md'), 'utf8')
  t.true(committed === markdown, 'CONFORMANCE.md differs from what the tests cite: run `npm run conformance`')
  t.is(committed.split('\n').filter(l => /^\| v(3\.1\.1|5) MQTT-/.test(l)).length, 392)
})

test('the committed statement lists match the shared ones when those are beside the checkout', t => {
  const shared = join(ROOT, '..', 'shared', 'spec')
  if (!existsSync(shared)) { t.pass('no shared/ beside this checkout'); return }
  for (const f of ['normative-311.tsv', 'normative-5.tsv']) {
    t.is(readFileSync(join(ROOT, 'conformance', 'spec', f), 'utf8'), readFileSync(join(shared, f), 'utf8'), f)
  }
})
