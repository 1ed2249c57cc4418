/** `npm run conformance`: regenerates CONFORMANCE.md (see scripts/conformance-lib.ts). */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, renderConformance } from './conformance-lib.js'

const { markdown, problems } = renderConformance()
writeFileSync(join(ROOT, 'CONFORMANCE.md'), markdown)
for (const p of problems) console.error(`conformance: ${p}`)
const summary = markdown.split('\n').filter(l => l.includes('**all**'))
console.log(summary.join('\n'))
process.exitCode = problems.length > 0 ? 1 : 0
