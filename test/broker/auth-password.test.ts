import test from 'ava'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgumentError } from '../../lib/core/errors.js'
import {
  createPasswordAuthenticator, hashPassword, loadPasswordFile, parsePasswordFile, parsePasswordHash, verifyPassword
} from '../../lib/broker/auth/password-file.js'
import type { PasswordHash } from '../../lib/broker/auth/password-file.js'
import type { AuthenticateRequest } from '../../lib/broker/options.js'
import { runPasswdCommand } from '../../lib/cli/passwd-command.js'

const FAST = { N: 1024, r: 8, p: 1 }

function request (username: string | undefined, password: string | undefined): AuthenticateRequest {
  return {
    clientId: 'c1',
    username,
    password: password === undefined ? undefined : Buffer.from(password),
    protocolVersion: 5,
    remoteAddress: undefined,
    certificate: undefined
  }
}

async function tempDir (t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'qosmos-passwd-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('hashPassword gives $scrypt$N$r$p$salt$hash with the default cost and a fresh salt', async t => {
  const a = await hashPassword('secret')
  const b = await hashPassword('secret')
  t.regex(a, /^\$scrypt\$16384\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/)
  t.not(a, b, 'two hashes of one password differ by their salt')
  const parsed = parsePasswordHash(a) as PasswordHash
  t.is(parsed.salt.length, 16)
  t.is(parsed.hash.length, 32)
})

test('verifyPassword accepts the right password and refuses a wrong one', async t => {
  const stored = parsePasswordHash(await hashPassword('correct horse', FAST)) as PasswordHash
  t.true(await verifyPassword('correct horse', stored))
  t.false(await verifyPassword('correct hors', stored))
  t.false(await verifyPassword('', stored))
  t.true(await verifyPassword(Buffer.from('correct horse'), stored))
})

test('the authenticate hook: right password true, wrong password or unknown user 0x86, no user name 0x87', async t => {
  const lines = parsePasswordFile(`# users\nalice:${await hashPassword('a-pass', FAST)}\nbob:${await hashPassword('b-pass', FAST)}\n`, 'pw')
  const authenticate = createPasswordAuthenticator(lines)
  t.is(await authenticate(request('alice', 'a-pass')), true)
  t.is(await authenticate(request('bob', 'b-pass')), true)
  t.like(await authenticate(request('alice', 'b-pass')), { reasonCode: 0x86 })
  t.like(await authenticate(request('carol', 'a-pass')), { reasonCode: 0x86 })
  t.like(await authenticate(request('alice', undefined)), { reasonCode: 0x86 })
  t.like(await authenticate(request(undefined, undefined)), { reasonCode: 0x87 })
  t.like(await authenticate(request(undefined, 'a-pass')), { reasonCode: 0x87 })
})

test('malformed lines name the file and the line number', t => {
  const good = '$scrypt$1024$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA=='
  const cases: Array<[string, RegExp]> = [
    [`# c\n\nalice:${good}\nnocolon\n`, /^pw:4: expected 'username:\$scrypt\$N\$r\$p\$salt\$hash'$/],
    [`alice:$6$abc$def\n`, /^pw:1: user 'alice': unsupported hash type '\$6\$'/],
    [`alice:$scrypt$1000$8$1$c2FsdHNhbHRzYWx0$aGFzaA==\n`, /^pw:1: user 'alice': N must be a power of two/],
    [`alice:$scrypt$1024$8$1$c2FsdHNhbHRzYWx0\n`, /^pw:1: user 'alice': expected \$scrypt\$N\$r\$p\$salt\$hash$/],
    [`alice:$scrypt$1024$8$1$!!!$aGFzaA==\n`, /^pw:1: user 'alice': salt and hash must be base64$/],
    [`alice:${good}\r\nalice:${good}\n`, /^pw:2: user 'alice' already defined on line 1$/]
  ]
  for (const [text, message] of cases) {
    const err = t.throws(() => parsePasswordFile(text, 'pw'), { instanceOf: InvalidArgumentError })
    t.regex(err?.message ?? '', message)
  }
})

test('loadPasswordFile reads a file; an unreadable file is one clear error', async t => {
  const dir = await tempDir(t)
  const file = join(dir, 'passwords')
  await writeFile(file, `alice:${await hashPassword('pw', FAST)}\n`)
  const authenticate = await loadPasswordFile(file)
  t.is(await authenticate(request('alice', 'pw')), true)
  const err = await t.throwsAsync(loadPasswordFile(join(dir, 'missing')), { instanceOf: InvalidArgumentError })
  t.is(err?.message, `cannot read password file ${join(dir, 'missing')}: no such file`)
})

test('qosmos passwd adds, replaces and deletes users, keeping comments and other users', async t => {
  const dir = await tempDir(t)
  const file = join(dir, 'passwords')
  const deps = { scrypt: FAST, out: () => {} }
  t.is(await runPasswdCommand([file, 'alice', '-b', 'one'], deps), 0)
  t.is((await stat(file)).mode & 0o777, 0o600, 'a new file is readable by its owner only')
  await writeFile(file, `# managed by qosmos passwd\n${await readFile(file, 'utf8')}`)
  t.is(await runPasswdCommand(['-b', file, 'bob', 'two'], deps), 0) // mosquitto_passwd order
  t.is(await runPasswdCommand([file, 'carol'], { ...deps, readPassword: async () => 'three' }), 0)

  let authenticate = await loadPasswordFile(file)
  t.is(await authenticate(request('alice', 'one')), true)
  t.is(await authenticate(request('bob', 'two')), true)
  t.is(await authenticate(request('carol', 'three')), true)

  t.is(await runPasswdCommand([file, 'alice', '-b', 'uno'], deps), 0) // replace
  authenticate = await loadPasswordFile(file)
  t.like(await authenticate(request('alice', 'one')), { reasonCode: 0x86 })
  t.is(await authenticate(request('alice', 'uno')), true)

  t.is(await runPasswdCommand(['-D', file, 'bob'], deps), 0)
  authenticate = await loadPasswordFile(file)
  t.like(await authenticate(request('bob', 'two')), { reasonCode: 0x86 })
  t.is(await authenticate(request('carol', 'three')), true)

  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n')
  t.is(lines[0], '# managed by qosmos passwd')
  t.deepEqual(lines.slice(1).map(l => l.split(':')[0]), ['alice', 'carol'], 'replaced in place, order kept')
})

test('qosmos passwd refuses what mosquitto_passwd refuses, in one line', async t => {
  const dir = await tempDir(t)
  const file = join(dir, 'passwords')
  const deps = { scrypt: FAST, out: () => {} }
  const cases: Array<[string[], string]> = [
    [[file], 'qosmos passwd: missing arguments (expected at least 2) (see qosmos passwd --help)'],
    [[file, 'alice', 'pw'], "qosmos passwd: unexpected argument 'pw' (give -b to pass the password on the command line) (see qosmos passwd --help)"],
    [[file, 'alice', '-b'], 'qosmos passwd: -b needs PASSWORD after USERNAME (see qosmos passwd --help)'],
    [['-D', '-b', file, 'alice'], 'qosmos passwd: -D and -b exclude each other (see qosmos passwd --help)'],
    [[file, 'al:ice', '-b', 'x'], "qosmos passwd: invalid user name 'al:ice': it must be non-empty, without ':', line breaks, surrounding spaces or a leading '#'"],
    [[file, 'alice', '-b', ''], 'qosmos passwd: the password must not be empty'],
    [['-D', file, 'alice'], `qosmos passwd: cannot read ${file}: no such file`]
  ]
  for (const [argv, message] of cases) {
    const err = await t.throwsAsync(runPasswdCommand(argv, deps), { instanceOf: InvalidArgumentError }, argv.join(' '))
    t.is(err?.message, message)
  }
  await runPasswdCommand([file, 'alice', '-b', 'x'], deps)
  const err = await t.throwsAsync(runPasswdCommand(['-D', file, 'bob'], deps), { instanceOf: InvalidArgumentError })
  t.is(err?.message, `qosmos passwd: ${file}: no user 'bob'`)
  await writeFile(file, 'garbage line\n')
  const bad = await t.throwsAsync(runPasswdCommand([file, 'bob', '-b', 'x'], deps), { instanceOf: InvalidArgumentError })
  t.is(bad?.message, `qosmos passwd: ${file}:1: expected 'username:$scrypt$N$r$p$salt$hash'`)
  t.is(await readFile(file, 'utf8'), 'garbage line\n', 'a malformed file is left alone')
})
