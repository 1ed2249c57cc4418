import test from 'ava'
import { InvalidArgumentError } from '../../lib/core/errors.js'
import { camelCase, formatUsage, parseArgs } from '../../lib/cli/args.js'
import type { CommandSpec } from '../../lib/cli/args.js'

const SPEC: CommandSpec = {
  command: 'demo',
  synopsis: 'qosmos demo [options] [NAME]',
  summary: 'A command for the parser tests.',
  positionals: { min: 0, max: 1 },
  flags: [
    { name: 'port', short: 'p', kind: 'integer', min: 0, max: 65535, valueName: 'PORT', description: 'a port' },
    { name: 'host', kind: 'string', description: 'a host' },
    { name: 'verbose', short: 'v', kind: 'boolean', description: 'talk more' },
    { name: 'level', kind: 'enum', values: ['low', 'high'], description: 'a level' },
    { name: 'tag', short: 't', kind: 'string', repeatable: true, description: 'tags' },
    { name: 'offset', kind: 'integer', min: -10, max: 10, description: 'may be negative' }
  ]
}

function fails (t: import('ava').ExecutionContext, argv: string[], message: string): void {
  const err = t.throws(() => parseArgs(SPEC, argv), { instanceOf: InvalidArgumentError })
  t.is(err?.message, message)
  t.false(err?.message.includes('\n') ?? true, 'the error is one line')
}

test('long flags with a separate value and with =', t => {
  const a = parseArgs(SPEC, ['--port', '1883', '--host=example.org'])
  t.is(a.values.get('port'), 1883)
  t.is(a.values.get('host'), 'example.org')
  t.false(a.help)
})

test('short flags: -p 1883 and -p1883', t => {
  t.is(parseArgs(SPEC, ['-p', '1883']).values.get('port'), 1883)
  t.is(parseArgs(SPEC, ['-p8883']).values.get('port'), 8883)
  t.is(parseArgs(SPEC, ['-p=1']).values.get('port'), 1)
})

test('booleans: present is true, absent is absent, =false clears', t => {
  t.is(parseArgs(SPEC, ['--verbose']).values.get('verbose'), true)
  t.is(parseArgs(SPEC, ['-v']).values.get('verbose'), true)
  t.false(parseArgs(SPEC, []).values.has('verbose'))
  t.false(parseArgs(SPEC, ['--verbose', '--verbose=false']).values.has('verbose'))
  fails(t, ['--verbose=yes'], "qosmos demo: option --verbose takes no value, got 'yes' (see qosmos demo --help)")
})

test('a repeated scalar flag keeps its last value; a repeatable flag collects', t => {
  const a = parseArgs(SPEC, ['--port', '1', '--port', '2', '-t', 'a', '--tag=b', '--tag', 'c'])
  t.is(a.values.get('port'), 2)
  t.deepEqual(a.values.get('tag'), ['a', 'b', 'c'])
})

test('positionals, and -- ends the options', t => {
  t.deepEqual(parseArgs(SPEC, ['name', '--verbose']).positionals, ['name'])
  t.deepEqual(parseArgs(SPEC, ['--', '--port']).positionals, ['--port'])
  fails(t, ['a', 'b'], 'qosmos demo: too many arguments (at most 1) (see qosmos demo --help)')
})

test('unknown long and short options name the option', t => {
  fails(t, ['--prot', '1883'], 'qosmos demo: unknown option --prot (see qosmos demo --help)')
  fails(t, ['--prot=1883'], 'qosmos demo: unknown option --prot (see qosmos demo --help)')
  fails(t, ['-x'], 'qosmos demo: unknown option -x (see qosmos demo --help)')
})

test('a missing value is an error, also when the next word is another option', t => {
  fails(t, ['--port'], 'qosmos demo: option --port needs a value (see qosmos demo --help)')
  fails(t, ['--host', '--verbose'], 'qosmos demo: option --host needs a value (see qosmos demo --help)')
  fails(t, ['--host='], 'qosmos demo: option --host needs a non-empty value (see qosmos demo --help)')
})

test('integers: not a number, not an integer, out of range', t => {
  fails(t, ['--port', 'abc'], "qosmos demo: option --port must be an integer, got 'abc' (see qosmos demo --help)")
  fails(t, ['--port', '18.5'], "qosmos demo: option --port must be an integer, got '18.5' (see qosmos demo --help)")
  fails(t, ['--port', '1e3'], "qosmos demo: option --port must be an integer, got '1e3' (see qosmos demo --help)")
  fails(t, ['--port', '65536'], 'qosmos demo: option --port must be an integer from 0 to 65535, got 65536 (see qosmos demo --help)')
  fails(t, ['-p', '-1'], 'qosmos demo: option -p must be an integer from 0 to 65535, got -1 (see qosmos demo --help)')
  t.is(parseArgs(SPEC, ['--offset', '-5']).values.get('offset'), -5)
  t.is(parseArgs(SPEC, ['--port', '65535']).values.get('port'), 65535)
})

test('enums accept only their values', t => {
  t.is(parseArgs(SPEC, ['--level', 'high']).values.get('level'), 'high')
  fails(t, ['--level', 'medium'], "qosmos demo: option --level must be one of low, high, got 'medium' (see qosmos demo --help)")
})

test('--help and -h win over everything else, even bad options', t => {
  t.true(parseArgs(SPEC, ['--help']).help)
  t.true(parseArgs(SPEC, ['--prot', '-h']).help)
  t.false(parseArgs(SPEC, ['--', '--help']).help)
})

test('usage lists every option with its value name', t => {
  const text = formatUsage(SPEC)
  t.true(text.startsWith('usage: qosmos demo [options] [NAME]'))
  t.regex(text, /-p, --port PORT\s+a port/)
  t.regex(text, /--level low\|high/)
  t.regex(text, /-h, --help/)
})

test('camelCase turns flag names into config keys', t => {
  t.is(camelCase('max-packet-size'), 'maxPacketSize')
  t.is(camelCase('port'), 'port')
})
