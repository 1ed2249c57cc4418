/**
 * Topic Name and Topic Filter rules (v3.1.1 4.7, v5 4.7 and 4.8.2). Exported for the broker,
 * which reuses them (ACLs, bridges, the client API).
 */
import { InvalidTopicFilterError, InvalidTopicNameError, ProtocolViolationError, type QosmosError } from '../core/errors.js'
import type { ProtocolVersion } from './packets.js'
import { stringProblem, utf8Rule } from './utf8.js'

const SHARE_PREFIX = '$share/'

/**
 * A valid PUBLISH Topic Name: at least one character (v3.1.1 [MQTT-4.7.3-1], v5 [MQTT-4.7.3-1]),
 * no wildcard (v3.1.1 [MQTT-3.3.2-2]/[MQTT-4.7.1-1], v5 [MQTT-3.3.2-2]/[MQTT-4.7.0-1]), no U+0000
 * ([MQTT-4.7.3-2] in both), well-formed and at most 65535 bytes ([MQTT-4.7.3-3] in both).
 */
export function isValidTopicName (topic: string): boolean {
  return topic.length > 0 && !/[+#]/.test(topic) && stringProblem(topic) === undefined
}

/**
 * Checks a PUBLISH (or Will) Topic Name. In v5 an empty name is allowed when a Topic Alias comes
 * with it (v5 3.3.2.1); `checkEncoding` also applies the UTF-8 rules (the decoder has already
 * checked the raw bytes).
 */
export function validateTopicName (topic: string, version: ProtocolVersion, hasTopicAlias = false, checkEncoding = true): QosmosError | undefined {
  const v5 = version === 5
  if (topic.length === 0) {
    if (v5 && hasTopicAlias) return undefined
    // v5 3.3.2.1: "It is a Protocol Error if the Topic Name is zero length and there is no Topic Alias."
    if (v5) return new ProtocolViolationError('empty Topic Name without a Topic Alias: v5 [MQTT-4.7.3-1]')
    return new InvalidTopicNameError('empty Topic Name: v3.1.1 [MQTT-4.7.3-1]')
  }
  if (topic.includes('+') || topic.includes('#')) {
    return new InvalidTopicNameError(`Topic Name ${JSON.stringify(topic)} contains a wildcard: ${v5 ? 'v5 [MQTT-3.3.2-2]/[MQTT-4.7.0-1]' : 'v3.1.1 [MQTT-3.3.2-2]/[MQTT-4.7.1-1]'}`)
  }
  if (checkEncoding) {
    const problem = stringProblem(topic)
    if (problem !== undefined) return new InvalidTopicNameError(`Topic Name ${utf8Rule(problem, version)}, [MQTT-4.7.3-2]/[MQTT-4.7.3-3]`)
  }
  return undefined
}

/**
 * v5 shared subscription `$share/{ShareName}/{filter}` (v5 4.8.2): returns its parts when the
 * filter is one and well-formed, else undefined. ShareName is non-empty (v5 [MQTT-4.8.2-1]) with
 * no '/', '+' or '#', and is followed by '/' and a non-empty filter (v5 [MQTT-4.8.2-2]). The inner
 * filter's own wildcard rules are checked by validateTopicFilter.
 */
export function parseSharedSubscription (filter: string): { group: string, filter: string } | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined
  const slash = filter.indexOf('/', SHARE_PREFIX.length)
  if (slash === -1) return undefined
  const group = filter.slice(SHARE_PREFIX.length, slash)
  const inner = filter.slice(slash + 1)
  if (group.length === 0 || group.includes('+') || group.includes('#') || inner.length === 0) return undefined
  return { group, filter: inner }
}

/** Is `filter` a v5 shared subscription (well-formed or not)? */
export function isSharedFilter (filter: string): boolean {
  return filter.startsWith(SHARE_PREFIX)
}

function wildcardProblem (filter: string, v5: boolean): string | undefined {
  const last = filter.length - 1
  for (let i = 0; i <= last; i++) {
    const c = filter.charCodeAt(i)
    if (c === 0x23 /* # */) {
      // v3.1.1 [MQTT-4.7.1-2], v5 [MQTT-4.7.1-1]
      if (i !== last || (i > 0 && filter.charCodeAt(i - 1) !== 0x2f)) {
        return `'#' must be alone in the last level: ${v5 ? 'v5 [MQTT-4.7.1-1]' : 'v3.1.1 [MQTT-4.7.1-2]'}`
      }
    } else if (c === 0x2b /* + */) {
      // v3.1.1 [MQTT-4.7.1-3], v5 [MQTT-4.7.1-2]
      if ((i > 0 && filter.charCodeAt(i - 1) !== 0x2f) || (i < last && filter.charCodeAt(i + 1) !== 0x2f)) {
        return `'+' must fill a whole level: ${v5 ? 'v5 [MQTT-4.7.1-2]' : 'v3.1.1 [MQTT-4.7.1-3]'}`
      }
    }
  }
  return undefined
}

/**
 * Checks a SUBSCRIBE or UNSUBSCRIBE Topic Filter at `version`; returns the error or undefined.
 * In v5, `$share/...` must be a well-formed shared subscription; at levels 3 and 4 it is an
 * ordinary filter.
 */
export function validateTopicFilter (filter: string, version: ProtocolVersion, checkEncoding = true): InvalidTopicFilterError | undefined {
  const v5 = version === 5
  // v3.1.1 [MQTT-4.7.3-1], v5 [MQTT-4.7.3-1]
  if (filter.length === 0) return new InvalidTopicFilterError(`empty Topic Filter: ${v5 ? 'v5' : 'v3.1.1'} [MQTT-4.7.3-1]`)
  if (checkEncoding) {
    const problem = stringProblem(filter)
    if (problem !== undefined) return new InvalidTopicFilterError(`Topic Filter ${utf8Rule(problem, version)}, [MQTT-4.7.3-2]/[MQTT-4.7.3-3]`)
  }
  let inner = filter
  if (v5 && isSharedFilter(filter)) {
    const shared = parseSharedSubscription(filter)
    if (shared === undefined) {
      return new InvalidTopicFilterError(`malformed shared subscription ${JSON.stringify(filter)}: ShareName must be non-empty without '/', '+', '#' and be followed by '/' and a Topic Filter, v5 [MQTT-4.8.2-1]/[MQTT-4.8.2-2]`)
    }
    inner = shared.filter
  }
  const problem = wildcardProblem(inner, v5)
  return problem === undefined ? undefined : new InvalidTopicFilterError(`Topic Filter ${JSON.stringify(filter)}: ${problem}`)
}

/**
 * Whether a topic filter matches a topic name, level by level: `+` one level, `#` the parent
 * and every level below (v5 [MQTT-4.7.1-1] [MQTT-4.7.1-2]), and no wildcard at the first level
 * matches a topic starting with `$` (v5 [MQTT-4.7.2-1], v3.1.1 [MQTT-4.7.2-1]). No
 * normalisation of any kind (v5 [MQTT-4.7.3-4]). For one-off checks (retained messages, ACLs, a client's
 * subscriptions); the broker routes with its TopicTree.
 */
export function filterMatches (filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false
  let f = 0
  let t = 0
  for (;;) {
    const fEnd = nextSlash(filter, f)
    const level = filter.slice(f, fEnd)
    if (level === '#') return true
    const tEnd = t > topic.length ? -1 : nextSlash(topic, t)
    if (tEnd < 0) return false
    if (level !== '+' && level !== topic.slice(t, tEnd)) return false
    const fDone = fEnd === filter.length
    const tDone = tEnd === topic.length
    if (fDone || tDone) {
      if (fDone && tDone) return true
      // 'a/#' matches 'a': the filter's next level is a final '#'.
      return tDone && filter.slice(fEnd + 1) === '#'
    }
    f = fEnd + 1
    t = tEnd + 1
  }
}

function nextSlash (s: string, from: number): number {
  const i = s.indexOf('/', from)
  return i < 0 ? s.length : i
}
