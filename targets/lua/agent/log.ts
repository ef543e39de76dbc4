// The agent's log (Lua only): one line per event on stdout (procd hands it to logd), as compact
// `event=NAME key=value ...` pairs rather than JSON, whose encoder would cost the bundle
// more than the lines save. A value holding a blank, a quote, a backslash or an = is
// written in double quotes with " and \ escaped, so a line always splits back into pairs.
import { isBlank } from './text.ts'

function needsQuotes (text: string): boolean {
  if (text === '') return true
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (isBlank(code) || code === 34 || code === 61 || code === 92 || code < 32) return true
  }
  return false
}

export function formatValue (value: string | number): string {
  const text = `${value}`
  if (!needsQuotes(text)) return text
  const parts = ['"']
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 34 || code === 92) parts.push('\\')
    parts.push(code === 10 ? '\\n' : text.substring(i, i + 1))
  }
  parts.push('"')
  return parts.join('')
}

// fields alternate key and value: formatEvent('queued', 'seq', 5, 'topic', 'home/t').
export function formatEvent (event: string, fields: Array<string | number>): string {
  const parts = [`event=${event}`]
  for (let i = 0; i + 1 < fields.length; i += 2) parts.push(`${fields[i]}=${formatValue(fields[i + 1])}`)
  return parts.join(' ')
}

export function logEvent (event: string, ...fields: Array<string | number>): void {
  print(formatEvent(event, fields))
}
