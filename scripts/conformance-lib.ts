/**
 * Builds CONFORMANCE.md from three sources: the normative statement lists in ../shared/spec,
 * the test titles that cite statement IDs (with their version) in spec-tests/, test/ and
 * interop/, and conformance/not-applicable.tsv (statements that cannot be observed from
 * outside, each with its reason). Because the table is derived, it cannot drift: the
 * conformance test regenerates it and fails when the committed file differs.
 */
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export type Version = '3.1.1' | '5'
export const VERSIONS: readonly Version[] = ['3.1.1', '5']

export interface Statement { readonly version: Version, readonly id: string, readonly section: string, readonly role: string, readonly topic: string, readonly summary: string }
export interface TestRef { readonly file: string, readonly title: string }
export interface Citation extends TestRef { readonly version: Version, readonly id: string }

export function specDir (): string {
  const candidates = [process.env.QOSMOS_SPEC_DIR, join(ROOT, 'conformance', 'spec')]
  for (const c of candidates) if (c !== undefined && existsSync(join(c, 'normative-5.tsv'))) return c
  throw new Error('normative statement lists not found in conformance/spec')
}

export function loadStatements (): Statement[] {
  const out: Statement[] = []
  for (const version of VERSIONS) {
    const file = join(specDir(), version === '5' ? 'normative-5.tsv' : 'normative-311.tsv')
    const lines = readFileSync(file, 'utf8').split('\n').slice(1).filter(l => l.trim() !== '')
    for (const line of lines) {
      const [id, section, role, topic, summary] = line.split('\t')
      if (id === undefined || section === undefined) continue
      out.push({ version, id, section, role: role ?? '', topic: topic ?? '', summary: summary ?? '' })
    }
  }
  return out
}

const TEST_DIRS = ['spec-tests', 'test', 'interop']

function listFiles (dir: string): string[] {
  if (!existsSync(dir)) return []
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...listFiles(p))
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(p)
  }
  return out
}

/** Removes comments while keeping string literals intact, so only strings are scanned. */
function stringLiterals (source: string): Array<{ text: string, dynamic: boolean }> {
  const out: Array<{ text: string, dynamic: boolean }> = []
  let i = 0
  while (i < source.length) {
    const c = source[i]
    const n = source[i + 1]
    if (c === '/' && n === '/') { const e = source.indexOf('\n', i); i = e < 0 ? source.length : e; continue }
    if (c === '/' && n === '*') { const e = source.indexOf('*/', i + 2); i = e < 0 ? source.length : e + 2; continue }
    if (c === '\'' || c === '"' || c === '`') {
      let j = i + 1
      let text = ''
      let dynamic = false
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\') { text += source[j + 1] ?? ''; j += 2; continue }
        if (c === '`' && source[j] === '$' && source[j + 1] === '{') dynamic = true
        if (c !== '`' && source[j] === '\n') break
        text += source[j]
        j++
      }
      out.push({ text, dynamic })
      i = j + 1
      continue
    }
    i++
  }
  return out
}

const CITE = /(v3\.1\.1|v5)((?:\s*\[MQTT-[0-9.]+-[0-9]+\])+)/g
const ID = /\[(MQTT-[0-9.]+-[0-9]+)\]/g

/** Every (version, id) cited by a test title. A title is a string literal citing a versioned ID. */
export function collectCitations (): { citations: Citation[], problems: string[] } {
  const citations: Citation[] = []
  const problems: string[] = []
  for (const dir of TEST_DIRS) {
    for (const path of listFiles(join(ROOT, dir))) {
      const file = relative(ROOT, path)
      for (const lit of stringLiterals(readFileSync(path, 'utf8'))) {
        const matches = [...lit.text.matchAll(CITE)]
        if (matches.length === 0) continue
        // A dynamic string in a helper is an assertion message, not a title; in a test file it
        // would hide which statement a generated test covers, so it is an error there.
        if (lit.dynamic && !file.endsWith('.test.ts')) continue
        if (lit.dynamic) { problems.push(`${file}: a title citing a statement must be a plain literal: ${lit.text}`); continue }
        for (const m of matches) {
          const version: Version = m[1] === 'v5' ? '5' : '3.1.1'
          for (const idm of (m[2] ?? '').matchAll(ID)) citations.push({ version, id: idm[1] as string, file, title: lit.text })
        }
      }
    }
  }
  return { citations, problems }
}

export interface NotApplicable { readonly version: Version, readonly id: string, readonly reason: string }

export function loadNotApplicable (): NotApplicable[] {
  const file = join(ROOT, 'conformance', 'not-applicable.tsv')
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(l => l.trim() !== '' && !l.startsWith('#')).map(l => {
    const [v, id, reason] = l.split('\t')
    return { version: v === '5' ? '5' : '3.1.1', id: id ?? '', reason: reason ?? '' }
  })
}

const key = (v: Version, id: string): string => `${v} ${id}`
const cell = (s: string): string => s.replace(/\|/g, '\\|')

export function renderConformance (): { markdown: string, problems: string[] } {
  const statements = loadStatements()
  const { citations, problems } = collectCitations()
  const na = loadNotApplicable()
  const known = new Set(statements.map(s => key(s.version, s.id)))
  const tests = new Map<string, TestRef[]>()
  for (const c of citations) {
    if (!known.has(key(c.version, c.id))) { problems.push(`${c.file}: cites v${c.version} [${c.id}], which is not a statement of MQTT ${c.version}: "${c.title}"`); continue }
    const list = tests.get(key(c.version, c.id)) ?? []
    if (!list.some(t => t.file === c.file && t.title === c.title)) list.push({ file: c.file, title: c.title })
    tests.set(key(c.version, c.id), list)
  }
  const naByKey = new Map<string, string>()
  for (const n of na) {
    if (!known.has(key(n.version, n.id))) problems.push(`conformance/not-applicable.tsv: v${n.version} [${n.id}] is not a statement`)
    else if (tests.has(key(n.version, n.id))) problems.push(`conformance/not-applicable.tsv: v${n.version} [${n.id}] is tested, so it cannot be marked not applicable`)
    else if (n.reason.trim() === '') problems.push(`conformance/not-applicable.tsv: v${n.version} [${n.id}] needs a reason`)
    else naByKey.set(key(n.version, n.id), n.reason)
  }
  const lines: string[] = []
  lines.push('# Conformance', '')
  lines.push('One row per normative statement of MQTT 3.1.1 (141) and MQTT 5.0 (251), keyed by version and ID.',
    'Generated by `npm run conformance` from the statement lists, the titles of the tests that cite',
    'each statement, and `conformance/not-applicable.tsv`; `npm test` fails when this file is stale,',
    'so a status here always matches the tests. Every test named here runs (and must pass) in `npm test`.', '')
  lines.push('Status: **tested** (the tests named check the statement), **n/a** (not observable from outside',
    'or not a requirement on qosmos; reason given), **not yet** (no test yet).', '')
  const summary: string[] = ['| version | section | statements | tested | n/a | not yet |', '|---|---|---|---|---|---|']
  const body: string[] = []
  for (const version of VERSIONS) {
    const rows = statements.filter(s => s.version === version)
    const bySection = new Map<string, Statement[]>()
    for (const s of rows) {
      const chapter = s.section.split('.')[0] ?? s.section
      bySection.set(chapter, [...(bySection.get(chapter) ?? []), s])
    }
    let tt = 0; let tn = 0; let ty = 0
    for (const [chapter, list] of bySection) {
      const t = list.filter(s => tests.has(key(version, s.id))).length
      const n = list.filter(s => naByKey.has(key(version, s.id))).length
      tt += t; tn += n; ty += list.length - t - n
      summary.push(`| ${version} | ${chapter} | ${list.length} | ${t} | ${n} | ${list.length - t - n} |`)
    }
    summary.push(`| **${version}** | **all** | **${rows.length}** | **${tt}** | **${tn}** | **${ty}** |`)
    body.push('', `## MQTT ${version}`, '', '| ID | section | summary | status | tests or reason |', '|---|---|---|---|---|')
    for (const s of rows) {
      const k = key(version, s.id)
      const refs = tests.get(k)
      const status = refs !== undefined ? 'tested' : naByKey.has(k) ? 'n/a' : 'not yet'
      const detail = refs !== undefined
        ? refs.map(r => `\`${r.file}\` › ${cell(r.title)}`).join('<br>')
        : cell(naByKey.get(k) ?? '')
      body.push(`| v${version === '5' ? '5' : '3.1.1'} ${s.id} | ${s.section} | ${cell(s.summary)} | ${status} | ${detail} |`)
    }
  }
  lines.push('## Summary', '', ...summary, ...body, '')
  return { markdown: lines.join('\n'), problems }
}
