// OpenWrt's UCI file syntax, as libuci reads /etc/config files: `config TYPE [NAME]`,
// `option NAME VALUE` and `list NAME VALUE` lines, values bare or in single quotes (taken
// as they are) or double quotes (backslash escapes), adjacent pieces joined ('it'\''s'),
// `#` comments. Every problem is collected with its line, never thrown, so the agent
// reports all of them before it exits.
import { isBlank } from './text.ts'

export interface UciValue {
  value: string
  line: number
}

export interface UciOption {
  name: string
  line: number
  isList: boolean
  values: UciValue[]
}

export interface UciSection {
  type: string
  name: string | undefined
  line: number
  options: UciOption[]
}

// `field` is what the user wrote, as they would look for it: `option key`, `list file`.
export interface UciProblem {
  line: number
  field: string
  reason: string
}

export interface UciFile {
  sections: UciSection[]
  problems: UciProblem[]
}

const HASH = 35
const SINGLE_QUOTE = 39
const DOUBLE_QUOTE = 34
const BACKSLASH = 92

type Words = { ok: true, words: string[] } | { ok: false, reason: string }

function splitWords (line: string): Words {
  const words: string[] = []
  const end = line.length
  let i = 0
  while (true) {
    while (i < end && isBlank(line.charCodeAt(i))) i++
    if (i >= end || line.charCodeAt(i) === HASH) return { ok: true, words }
    const pieces: string[] = []
    while (i < end && !isBlank(line.charCodeAt(i))) {
      const code = line.charCodeAt(i)
      if (code === SINGLE_QUOTE) {
        const close = line.indexOf("'", i + 1)
        if (close < 0) return { ok: false, reason: 'a quote (\') is not closed on this line' }
        pieces.push(line.substring(i + 1, close))
        i = close + 1
      } else if (code === DOUBLE_QUOTE) {
        i++
        while (i < end && line.charCodeAt(i) !== DOUBLE_QUOTE) {
          if (line.charCodeAt(i) === BACKSLASH && i + 1 < end) i++
          pieces.push(line.substring(i, i + 1))
          i++
        }
        if (i >= end) return { ok: false, reason: 'a quote (") is not closed on this line' }
        i++
      } else {
        if (code === BACKSLASH && i + 1 < end) i++
        pieces.push(line.substring(i, i + 1))
        i++
      }
    }
    words.push(pieces.join(''))
  }
}

// libuci's rule for option names: letters, digits and '_'.
export function isUciName (name: string): boolean {
  if (name.length === 0) return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return false
  }
  return true
}

function addValue (section: UciSection, keyword: string, name: string, value: string, line: number, problems: UciProblem[]): void {
  const isList = keyword === 'list'
  for (let i = 0; i < section.options.length; i++) {
    const option = section.options[i]
    if (option.name !== name) continue
    if (option.isList !== isList) {
      problems.push({ line, field: `${keyword} ${name}`, reason: `already given as ${option.isList ? 'list' : 'option'} ${name} on line ${option.line}` })
    } else if (isList) {
      option.values.push({ value, line })
    } else {
      problems.push({ line, field: `option ${name}`, reason: `given twice (also on line ${option.line})` })
    }
    return
  }
  section.options.push({ name, line, isList, values: [{ value, line }] })
}

export function parseUci (text: string): UciFile {
  const sections: UciSection[] = []
  const problems: UciProblem[] = []
  let current: UciSection | undefined
  let lineNumber = 0
  let at = 0
  while (at <= text.length) {
    let lineEnd = text.indexOf('\n', at)
    if (lineEnd < 0) lineEnd = text.length
    lineNumber++
    const split = splitWords(text.substring(at, lineEnd))
    at = lineEnd + 1
    if (!split.ok) {
      problems.push({ line: lineNumber, field: 'line', reason: split.reason })
      continue
    }
    const words = split.words
    if (words.length === 0 || words[0] === 'package') continue
    const keyword = words[0]
    if (keyword === 'config') {
      if (words.length < 2 || words.length > 3 || !isUciName(words[1]) || (words.length === 3 && !isUciName(words[2]))) {
        problems.push({ line: lineNumber, field: 'config', reason: 'expected config TYPE \'NAME\' (letters, digits and _)' })
        current = undefined
        continue
      }
      current = { type: words[1], name: words.length === 3 ? words[2] : undefined, line: lineNumber, options: [] }
      sections.push(current)
    } else if (keyword === 'option' || keyword === 'list') {
      const field = words.length >= 2 ? `${keyword} ${words[1]}` : keyword
      if (words.length !== 3 || !isUciName(words[1])) {
        problems.push({ line: lineNumber, field, reason: `expected ${keyword} NAME 'VALUE' (quote a value that holds spaces)` })
      } else if (current === undefined) {
        problems.push({ line: lineNumber, field, reason: 'comes before any config line' })
      } else {
        addValue(current, keyword, words[1], words[2], lineNumber, problems)
      }
    } else {
      problems.push({ line: lineNumber, field: keyword, reason: 'expected config, option or list' })
    }
  }
  return { sections, problems }
}
