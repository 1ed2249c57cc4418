/**
 * `qosmos passwd`: manages a password file as mosquitto_passwd users expect.
 *
 *   qosmos passwd FILE USERNAME              password read from stdin (asked twice on a terminal)
 *   qosmos passwd FILE USERNAME -b PASSWORD  or mosquitto's order: qosmos passwd -b FILE USERNAME PASSWORD
 *   qosmos passwd -D FILE USERNAME           delete the user
 *
 * Other lines (comments, other users) are kept as they were. The file is replaced atomically
 * (written beside it, then renamed) and created with mode 0600.
 */
import { readFile, rename, stat, writeFile, unlink } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { basename, dirname, join } from 'node:path'
import { checkUsername, deleteUser, describeFsError, formatPasswordFile, parsePasswordFile, setPassword } from '../broker/auth/password-file.js'
import type { PasswordFileLine, ScryptParameters } from '../broker/auth/password-file.js'
import { InvalidArgumentError } from '../core/errors.js'
import { booleanValue, formatUsage, parseArgs, usageError } from './args.js'
import type { CommandSpec } from './args.js'

export const PASSWD_SPEC: CommandSpec = {
  command: 'passwd',
  synopsis: 'qosmos passwd [-D] [-b] FILE USERNAME [PASSWORD]',
  summary: 'Adds a user to a password file, changes their password, or deletes them (-D).',
  positionals: { min: 2, max: 3 },
  flags: [
    { name: 'batch', short: 'b', kind: 'boolean', description: 'take the password from the command line (the argument after USERNAME) instead of stdin' },
    { name: 'delete', short: 'D', kind: 'boolean', description: 'delete USERNAME from FILE' }
  ],
  epilogue: 'Lines are username:$scrypt$N$r$p$salt$hash; use the file with qosmos broker --password-file FILE.\n' +
    'A password given with -b shows in the process list and shell history: prefer stdin.'
}

export interface PasswdDeps {
  /** Reads the password when -b is not given. Default: stdin (asked twice on a terminal). */
  readonly readPassword?: () => Promise<string>
  readonly out?: (line: string) => void
  /** scrypt cost; tests use a small one. Default: N 16384, r 8, p 1. */
  readonly scrypt?: ScryptParameters
}

/** Reads one password from stdin: the first line of piped input, or typed twice on a terminal. */
export async function readPasswordFromStdin (): Promise<string> {
  const tty = process.stdin.isTTY === true
  const rl = createInterface({ input: process.stdin, terminal: false })
  const lines = rl[Symbol.asyncIterator]()
  const ask = async (prompt: string): Promise<string | undefined> => {
    if (tty) process.stderr.write(prompt)
    const next = await lines.next()
    return next.done === true ? undefined : next.value
  }
  try {
    const first = await ask('Password: ')
    if (first === undefined) throw new InvalidArgumentError('qosmos passwd: no password on stdin (or use -b PASSWORD)')
    if (tty && await ask('Reenter password: ') !== first) throw new InvalidArgumentError('qosmos passwd: the passwords do not match')
    return first
  } finally {
    rl.close()
  }
}

async function readLines (file: string, missingOk: boolean): Promise<{ lines: PasswordFileLine[], mode: number }> {
  let text: string
  let mode = 0o600
  try {
    text = await readFile(file, 'utf8')
    mode = (await stat(file)).mode & 0o777
  } catch (err) {
    if (missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], mode }
    throw new InvalidArgumentError(`qosmos passwd: cannot read ${file}: ${describeFsError(err)}`)
  }
  try {
    return { lines: parsePasswordFile(text, file), mode }
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`qosmos passwd: ${err.message}`)
    throw err
  }
}

async function writeAtomically (file: string, text: string, mode: number): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`)
  try {
    await writeFile(temp, text, { mode })
    await rename(temp, file)
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw new InvalidArgumentError(`qosmos passwd: cannot write ${file}: ${describeFsError(err)}`)
  }
}

/** Runs `qosmos passwd ARGV`; resolves with the exit code, throws InvalidArgumentError for usage errors. */
export async function runPasswdCommand (argv: readonly string[], deps: PasswdDeps = {}): Promise<number> {
  const out = deps.out ?? ((line: string) => { process.stdout.write(`${line}\n`) })
  const args = parseArgs(PASSWD_SPEC, argv)
  if (args.help) { out(formatUsage(PASSWD_SPEC)); return 0 }
  const [file, username, password] = args.positionals as [string, string, string | undefined]
  const batch = booleanValue(args, 'batch')
  const remove = booleanValue(args, 'delete')

  if (remove) {
    if (batch) throw usageError(PASSWD_SPEC, '-D and -b exclude each other')
    if (password !== undefined) throw usageError(PASSWD_SPEC, `unexpected argument '${password}' after USERNAME with -D`)
    const { lines, mode } = await readLines(file, false)
    let kept: PasswordFileLine[]
    try {
      kept = deleteUser(lines, username, file)
    } catch (err) {
      throw err instanceof InvalidArgumentError ? new InvalidArgumentError(`qosmos passwd: ${err.message}`) : err
    }
    await writeAtomically(file, formatPasswordFile(kept), mode)
    return 0
  }

  try {
    checkUsername(username)
  } catch (err) {
    throw err instanceof InvalidArgumentError ? new InvalidArgumentError(`qosmos passwd: ${err.message}`) : err
  }
  if (batch && password === undefined) throw usageError(PASSWD_SPEC, '-b needs PASSWORD after USERNAME')
  if (!batch && password !== undefined) throw usageError(PASSWD_SPEC, `unexpected argument '${password}' (give -b to pass the password on the command line)`)
  const { lines, mode } = await readLines(file, true)
  const secret = password ?? await (deps.readPassword ?? readPasswordFromStdin)()
  if (secret === '') throw new InvalidArgumentError('qosmos passwd: the password must not be empty')
  let updated: PasswordFileLine[]
  try {
    updated = await setPassword(lines, username, secret, deps.scrypt)
  } catch (err) {
    throw err instanceof InvalidArgumentError ? new InvalidArgumentError(`qosmos passwd: ${err.message}`) : err
  }
  await writeAtomically(file, formatPasswordFile(updated), mode)
  return 0
}
