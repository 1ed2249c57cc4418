/**
 * Whether a topic filter matches a topic name, level by level: `+` one level, `#` the parent
 * and every level below (v5 [MQTT-4.7.1-1] [MQTT-4.7.1-2]), and no wildcard at the first level
 * matches a topic starting with `$` (v5 [MQTT-4.7.2-1], v3.1.1 [MQTT-4.7.2-1]). No
 * normalisation of any kind (v5 [MQTT-4.7.3-4]). For one-off checks; routing uses TopicTree.
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
