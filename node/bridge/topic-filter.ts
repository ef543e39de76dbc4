// MQTT topic filters (MQTT 3.1.1 §4.7): `+` matches one level, `#` the rest (and the
// parent level itself); topics starting with `$` are not matched by a leading wildcard.

export function checkTopicFilter (filter: string): string | null {
  if (filter.length === 0) return 'a topic filter cannot be empty'
  if (filter.length > 65535) return 'a topic filter is at most 65,535 bytes'
  if (filter.includes('\u0000')) return 'a topic filter cannot contain a NUL character'
  const levels = filter.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return '"#" must be a whole level and the last one (e.g. home/#)'
    }
    if (level.includes('+') && level !== '+') return '"+" must be a whole level (e.g. home/+/temperature)'
  }
  return null
}

export function topicMatches (filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}
