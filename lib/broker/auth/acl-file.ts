/**
 * mosquitto-style ACL files.
 *
 *   # lines before any `user` apply to clients without a user name
 *   topic read public/#
 *   user alice
 *   topic readwrite alice/#
 *   topic deny alice/secret
 *   pattern write devices/%c/status      # every client; %c client id, %u user name
 *
 * `topic|pattern [read|write|readwrite|deny] TOPIC` (readwrite when the access is left out);
 * TOPIC may hold `+` and `#` and is an MQTT topic filter. Once an ACL file is given, what it does
 * not grant is refused. A `deny` entry wins over every grant. Publishing needs a write entry whose
 * filter matches the topic; subscribing needs a read entry whose filter covers the requested filter
 * (every topic the subscription could receive), and no deny entry covering it; delivery of each
 * message then needs read access to its topic, so a deny narrower than the subscription still holds.
 */
import { readFile } from 'node:fs/promises'
import { InvalidArgumentError } from '../../core/errors.js'
import type { QoS } from '../../protocol/packets.js'
import { filterMatches } from '../../protocol/topics.js'
import type { ApplicationMessage } from '../../qos/types.js'
import type { ClientInfo, Refusal } from '../options.js'
import { describeFsError } from './password-file.js'

export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny'
const ACCESS: readonly AclAccess[] = ['read', 'write', 'readwrite', 'deny']

export interface AclEntry {
  readonly access: AclAccess
  /** A topic filter; in a pattern it may hold `%c` and `%u`. */
  readonly filter: string
  /** Where it was written, for messages. */
  readonly line: number
}

export interface Acl {
  /** Entries before the first `user` line: clients that gave no user name. */
  readonly anonymous: readonly AclEntry[]
  readonly users: ReadonlyMap<string, readonly AclEntry[]>
  /** `pattern` entries, for every client. */
  readonly patterns: readonly AclEntry[]
}

export interface AclSubject {
  readonly clientId: string
  readonly username: string | undefined
}

/** v5 0x87 Not authorized. */
export const ACL_REFUSAL: Refusal = { reasonCode: 0x87, reasonString: 'not authorized' }

export interface AclHooks {
  authorizePublish (client: ClientInfo, message: ApplicationMessage): true | Refusal
  authorizeSubscribe (client: ClientInfo, subscription: { readonly topicFilter: string, readonly qos: QoS }): QoS | Refusal
  authorizeForward (client: ClientInfo, message: ApplicationMessage): boolean
}

/** Why a topic filter is not valid, or undefined when it is (v5 [MQTT-4.7.1-1], [MQTT-4.7.1-2]). */
export function filterProblem (filter: string): string | undefined {
  if (filter === '') return 'a topic filter must not be empty'
  if (filter.includes('\u0000')) return 'a topic filter must not contain U+0000'
  const levels = filter.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return "'#' must be a whole level and the last one"
    if (level.includes('+') && level !== '+') return "'+' must be a whole level"
  }
  return undefined
}

/** Whether a topic filter matches a topic name (v5 4.7): the one matcher of lib/protocol. */
export const topicMatches = filterMatches

/**
 * Whether every topic that filter `inner` matches is also matched by filter `outer`
 * ("inner is covered by outer"): `a/+` is covered by `a/#`, `a/#` is not covered by `a/+`,
 * and `$SYS/#` is not covered by `#`.
 */
export function filterCovers (outer: string, inner: string): boolean {
  const o = outer.split('/')
  const n = inner.split('/')
  // A wildcard first level matches no '$' topic: a '$' literal in inner is then out of reach.
  if ((o[0] === '+' || o[0] === '#') && n[0]?.startsWith('$') === true) return false
  for (let i = 0; ; i++) {
    const a = n[i]
    const b = o[i]
    if (b === '#') return true // zero or more further levels: anything inner has left
    if (a === undefined) return b === undefined
    if (b === undefined) return false
    if (a === '#') {
      // inner matches any number of further levels; outer has neither '#' here, so only the
      // top-level case `#` <= `+/#` holds (every topic has at least one level).
      return i === 0 && b === '+' && o.length === 2 && o[1] === '#'
    }
    if (b === '+') continue // one level, whatever inner has there ('+' or a literal)
    if (a !== b) return false // outer is a literal: inner must be the same literal
  }
}

function parseError (source: string, line: number, problem: string): InvalidArgumentError {
  return new InvalidArgumentError(`${source}:${line}: ${problem}`)
}

/** Parses the text of an ACL file; `source` (the path) and the line number name any error. */
export function parseAcl (text: string, source: string): Acl {
  const anonymous: AclEntry[] = []
  const users = new Map<string, AclEntry[]>()
  const patterns: AclEntry[] = []
  let current = anonymous
  const lines = text.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1
    const line = (lines[index] as string).trim()
    if (line === '' || line.startsWith('#')) continue
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line) as RegExpExecArray
    const keyword = m[1] as string
    const rest = m[2] ?? ''
    if (keyword === 'user') {
      if (rest === '') throw parseError(source, lineNo, "'user' needs a user name")
      current = users.get(rest) ?? []
      users.set(rest, current)
      continue
    }
    if (keyword !== 'topic' && keyword !== 'pattern') {
      throw parseError(source, lineNo, `unknown keyword '${keyword}' (expected user, topic or pattern)`)
    }
    const a = /^(\S+)(?:\s+(.*))?$/.exec(rest)
    if (a === null) throw parseError(source, lineNo, `'${keyword}' needs a topic`)
    let access: AclAccess = 'readwrite'
    let filter = rest
    if (ACCESS.includes(a[1] as AclAccess)) {
      if (a[2] === undefined) throw parseError(source, lineNo, `'${keyword} ${a[1] ?? ''}' needs a topic`)
      access = a[1] as AclAccess
      filter = a[2]
    }
    const problem = filterProblem(filter)
    if (problem !== undefined) throw parseError(source, lineNo, `invalid topic '${filter}': ${problem}`)
    ;(keyword === 'topic' ? current : patterns).push({ access, filter, line: lineNo })
  }
  return { anonymous, users, patterns }
}

/**
 * A pattern's filter for one client, or undefined when it cannot apply: `%u` without a user name,
 * or a client id / user name holding '+', '#' or '/', which would widen the filter into other
 * clients' topics (mosquitto refuses these too).
 */
export function substitutePattern (filter: string, subject: AclSubject): string | undefined {
  const unsafe = (s: string): boolean => /[+#/]/.test(s)
  if (filter.includes('%c') && unsafe(subject.clientId)) return undefined
  if (filter.includes('%u') && (subject.username === undefined || unsafe(subject.username))) return undefined
  return filter.replace(/%([cu])/g, (_, which: string) => which === 'c' ? subject.clientId : subject.username ?? '')
}

/** The entries that apply to one client, patterns already substituted. */
export function entriesFor (acl: Acl, subject: AclSubject): AclEntry[] {
  const own = subject.username === undefined ? acl.anonymous : acl.users.get(subject.username) ?? []
  const patterns = acl.patterns.flatMap(p => {
    const filter = substitutePattern(p.filter, subject)
    return filter === undefined ? [] : [{ ...p, filter }]
  })
  return [...own, ...patterns]
}

function grants (entry: AclEntry, access: 'read' | 'write'): boolean {
  return entry.access === access || entry.access === 'readwrite'
}

/** Whether the client may publish to (write) or receive from (read) topic name `topic`. */
export function isAllowed (acl: Acl, subject: AclSubject, access: 'read' | 'write', topic: string): boolean {
  const entries = entriesFor(acl, subject)
  if (entries.some(e => e.access === 'deny' && topicMatches(e.filter, topic))) return false
  return entries.some(e => grants(e, access) && topicMatches(e.filter, topic))
}

/** The filter a subscription is matched with: `$share/{group}/{filter}` gives `{filter}`. */
export function unshare (topicFilter: string): string {
  if (!topicFilter.startsWith('$share/')) return topicFilter
  const slash = topicFilter.indexOf('/', '$share/'.length)
  return slash === -1 ? topicFilter : topicFilter.slice(slash + 1)
}

/** Whether the client may subscribe to `topicFilter`: read access to every topic it could match. */
export function canSubscribe (acl: Acl, subject: AclSubject, topicFilter: string): boolean {
  const filter = unshare(topicFilter)
  const entries = entriesFor(acl, subject)
  if (entries.some(e => e.access === 'deny' && filterCovers(e.filter, filter))) return false
  return entries.some(e => grants(e, 'read') && filterCovers(e.filter, filter))
}

/** The broker hooks that enforce an ACL. */
export function createAclHooks (acl: Acl): AclHooks {
  return {
    authorizePublish: (client, message) => isAllowed(acl, client, 'write', message.topic) ? true : ACL_REFUSAL,
    authorizeSubscribe: (client, subscription) => canSubscribe(acl, client, subscription.topicFilter) ? subscription.qos : ACL_REFUSAL,
    authorizeForward: (client, message) => isAllowed(acl, client, 'read', message.topic)
  }
}

/** Reads an ACL file and returns the hooks that enforce it. */
export async function loadAclFile (path: string): Promise<AclHooks> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ACL file ${path}: ${describeFsError(err)}`)
  }
  return createAclHooks(parseAcl(text, path))
}
