// Runs the CLI from source, as bin/qosmos.js runs it from dist/ (for tests that spawn it).
import { main } from '../../lib/cli/main.js'

main(process.argv.slice(2)).then(code => { if (code !== undefined) process.exitCode = code }, (err: unknown) => {
  console.error(`qosmos: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
})
