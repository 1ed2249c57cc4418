/**
 * Password files: one `username:$scrypt$N$r$p$saltB64$hashB64` per line, `#` comments and blank
 * lines allowed. Passwords are checked with node:crypto scrypt and compared with timingSafeEqual;
 * an unknown user costs the same scrypt run as a known one, so timing does not reveal user names.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { InvalidArgumentError } from '../../core/errors.js'
import type { AuthenticateRequest, Decision } from '../options.js'

export interface ScryptParameters {
  /** CPU/memory cost, a power of two. Default 16384 (2^14). */
  readonly N: number
  /** Block size. Default 8. */
  readonly r: number
  /** Parallelism. Default 1. */
  readonly p: number
}

export const DEFAULT_SCRYPT: ScryptParameters = { N: 16384, r: 8, p: 1 }
const SALT_BYTES = 16
const KEY_BYTES = 32
/** Refuses cost parameters that would take more than 1 GiB or minutes per login. */
const MAX_N = 2 ** 20
const MAX_RP = 64

/** A stored credential, parsed from `$scrypt$N$r$p$salt$hash`. */
export interface PasswordHash extends ScryptParameters {
  readonly salt: Buffer
  readonly hash: Buffer
}

export type AuthenticateHook = (request: AuthenticateRequest) => Promise<Decision>

/** v5 0x86 Bad User Name or Password (3.1.1 return code 4). */
export const BAD_CREDENTIALS: Decision = { reasonCode: 0x86, reasonString: 'bad user name or password' }
/** v5 0x87 Not authorized (3.1.1 return code 5). */
export const NOT_AUTHORIZED: Decision = { reasonCode: 0x87, reasonString: 'not authorized' }

function derive (password: Buffer, salt: Buffer, params: ScryptParameters, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 }, (err, key) => {
      if (err !== null) reject(err)
      else resolve(key)
    })
  })
}

function checkParameters (params: ScryptParameters): string | undefined {
  const { N, r, p } = params
  if (!Number.isSafeInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return `N must be a power of two from 2 to ${MAX_N}`
  if (!Number.isSafeInteger(r) || r < 1 || r > MAX_RP) return `r must be an integer from 1 to ${MAX_RP}`
  if (!Number.isSafeInteger(p) || p < 1 || p > MAX_RP) return `p must be an integer from 1 to ${MAX_RP}`
  return undefined
}

/** Hashes a password into the `$scrypt$N$r$p$salt$hash` form stored after `username:`. */
export async function hashPassword (password: string | Buffer, params: ScryptParameters = DEFAULT_SCRYPT): Promise<string> {
  const problem = checkParameters(params)
  if (problem !== undefined) throw new InvalidArgumentError(`scrypt parameters: ${problem}`)
  const salt = randomBytes(SALT_BYTES)
  const hash = await derive(Buffer.from(password), salt, params, KEY_BYTES)
  return `$scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/

/** Parses `$scrypt$N$r$p$salt$hash`; returns a description of the problem instead when malformed. */
export function parsePasswordHash (encoded: string): PasswordHash | string {
  const parts = encoded.split('$')
  if (parts.length < 2 || parts[0] !== '') return 'expected a hash starting with $scrypt$'
  if (parts[1] !== 'scrypt') return `unsupported hash type '$${parts[1] ?? ''}$' (only $scrypt$ is supported: set the password again with qosmos passwd)`
  if (parts.length !== 7) return 'expected $scrypt$N$r$p$salt$hash'
  const [, , n, r, p, salt, hash] = parts as [string, string, string, string, string, string, string]
  if (![n, r, p].every(x => /^\d{1,10}$/.test(x))) return 'N, r and p must be decimal integers'
  const params = { N: Number(n), r: Number(r), p: Number(p) }
  const problem = checkParameters(params)
  if (problem !== undefined) return problem
  if (!B64.test(salt) || !B64.test(hash)) return 'salt and hash must be base64'
  const saltBytes = Buffer.from(salt, 'base64')
  const hashBytes = Buffer.from(hash, 'base64')
  if (saltBytes.length < 8) return 'salt must be at least 8 bytes'
  if (hashBytes.length < 16 || hashBytes.length > 128) return 'hash must be 16 to 128 bytes'
  return { ...params, salt: saltBytes, hash: hashBytes }
}

/** True when `password` is the one `stored` was made from; constant-time comparison. */
export async function verifyPassword (password: string | Buffer, stored: PasswordHash): Promise<boolean> {
  const candidate = await derive(Buffer.from(password), stored.salt, stored, stored.hash.length)
  return timingSafeEqual(candidate, stored.hash)
}

/** One line of a password file: a user, or anything kept verbatim (comments, blank lines). */
export type PasswordFileLine =
  | { readonly kind: 'user', readonly username: string, readonly hash: PasswordHash, readonly text: string }
  | { readonly kind: 'other', readonly text: string }

const USER_LINE = /^([^:]+):(.*)$/

/** Parses a password file; `source` (the path) and the line number name any malformed line. */
export function parsePasswordFile (text: string, source: string): PasswordFileLine[] {
  const seen = new Map<string, number>()
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  return lines.map((raw, index) => {
    const lineNo = index + 1
    const line = raw.replace(/\r$/, '')
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'other', text: line }
    const m = USER_LINE.exec(trimmed)
    if (m === null) throw new InvalidArgumentError(`${source}:${lineNo}: expected 'username:$scrypt$N$r$p$salt$hash'`)
    const username = m[1] as string
    const hash = parsePasswordHash(m[2] as string)
    if (typeof hash === 'string') throw new InvalidArgumentError(`${source}:${lineNo}: user '${username}': ${hash}`)
    const first = seen.get(username)
    if (first !== undefined) throw new InvalidArgumentError(`${source}:${lineNo}: user '${username}' already defined on line ${first}`)
    seen.set(username, lineNo)
    return { kind: 'user', username, hash, text: line }
  })
}

export function formatPasswordFile (lines: readonly PasswordFileLine[]): string {
  return lines.map(l => `${l.text}\n`).join('')
}

/** Checks a user name for a password file: not empty, no ':' and no line break. */
export function checkUsername (username: string): void {
  if (username === '' || /[:\r\n]/.test(username) || username.trim() !== username || username.startsWith('#')) {
    throw new InvalidArgumentError(`invalid user name '${username}': it must be non-empty, without ':', line breaks, surrounding spaces or a leading '#'`)
  }
}

/** Adds a user or replaces their password, keeping every other line as it was. */
export async function setPassword (lines: readonly PasswordFileLine[], username: string, password: string | Buffer, params?: ScryptParameters): Promise<PasswordFileLine[]> {
  checkUsername(username)
  const encoded = await hashPassword(password, params)
  const hash = parsePasswordHash(encoded) as PasswordHash
  const entry: PasswordFileLine = { kind: 'user', username, hash, text: `${username}:${encoded}` }
  const at = lines.findIndex(l => l.kind === 'user' && l.username === username)
  return at === -1 ? [...lines, entry] : lines.map((l, i) => i === at ? entry : l)
}

/** Removes a user; an unknown user is an error, as with mosquitto_passwd -D. */
export function deleteUser (lines: readonly PasswordFileLine[], username: string, source: string): PasswordFileLine[] {
  const kept = lines.filter(l => !(l.kind === 'user' && l.username === username))
  if (kept.length === lines.length) throw new InvalidArgumentError(`${source}: no user '${username}'`)
  return kept
}

/** The CONNECT hook for a set of users. */
export function createPasswordAuthenticator (lines: readonly PasswordFileLine[]): AuthenticateHook {
  const users = new Map<string, PasswordHash>()
  for (const l of lines) if (l.kind === 'user') users.set(l.username, l.hash)
  // Checked against when the user is unknown, so both cases cost one scrypt run of the same cost.
  const template = users.values().next().value ?? { ...DEFAULT_SCRYPT, hash: Buffer.alloc(KEY_BYTES) }
  const decoy: PasswordHash = { N: template.N, r: template.r, p: template.p, salt: randomBytes(SALT_BYTES), hash: randomBytes(template.hash.length) }
  return async (request) => {
    if (request.username === undefined) return NOT_AUTHORIZED
    const stored = users.get(request.username)
    const ok = await verifyPassword(request.password ?? Buffer.alloc(0), stored ?? decoy)
    return ok && stored !== undefined && request.password !== undefined ? true : BAD_CREDENTIALS
  }
}

/** Reads a password file and returns the `authenticate` hook for it. */
export async function loadPasswordFile (path: string): Promise<AuthenticateHook> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new InvalidArgumentError(`cannot read password file ${path}: ${describeFsError(err)}`)
  }
  return createPasswordAuthenticator(parsePasswordFile(text, path))
}

/** `ENOENT: no such file...` without the stack: the part of a file-system error people need. */
export function describeFsError (err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 'no such file'
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
    if (code === 'EISDIR') return 'is a directory'
    return err.message
  }
  return String(err)
}
