/** Which subscription a received message belongs to, on the client side (for the async iterators). */

/** True when `topic` matches `filter` (v5 4.7; `$share/group/` is stripped; `$` topics never match a leading wildcard, [MQTT-4.7.2-1]). */
export function topicMatches (filter: string, topic: string): boolean {
  const plain = filter.startsWith('$share/') ? filter.split('/').slice(2).join('/') : filter
  const f = plain.split('/')
  const t = topic.split('/')
  if (topic.startsWith('$') && (f[0] === '#' || f[0] === '+')) return false
  for (let i = 0; i < f.length; i++) {
    const level = f[i]
    if (level === '#') return true
    if (i >= t.length) return false
    if (level !== '+' && level !== t[i]) return false
  }
  return f.length === t.length
}
