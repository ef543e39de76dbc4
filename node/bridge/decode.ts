// Payload decoders named in mapping rules. A payload that does not decode is kept as
// raw bytes with a decode error, never dropped: the reading may still matter.
import b4a from 'b4a'
export const DECODERS = ['json', 'number', 'text', 'raw'] as const
export type Decoder = typeof DECODERS[number]

export type DecodedValue =
  | { kind: 'json', value: unknown }
  | { kind: 'number', value: number }
  | { kind: 'text', value: string }
  | { kind: 'raw' }

export interface Decoded { value: DecodedValue, error: string | null }

// What the bridge stores with a reading: whether its payload decodes (the reader decodes
// it again for the value). Checked for every reading, so nothing is built but the error.
export function decodeError (decoder: Decoder, payload: Uint8Array): string | null {
  if (decoder === 'raw') return null
  if (!isUtf8(payload)) return NOT_UTF8
  if (decoder === 'text') return null
  const text = b4a.toString(payload, 'utf8')
  if (decoder === 'number') return numberOf(text) === null ? notA('number', text) : null
  try {
    JSON.parse(text)
    return null
  } catch {
    return notA('JSON', text)
  }
}

export function decodePayload (decoder: Decoder, payload: Uint8Array): Decoded {
  if (decoder === 'raw') return { value: { kind: 'raw' }, error: null }
  if (!isUtf8(payload)) return { value: { kind: 'raw' }, error: NOT_UTF8 }
  const text = b4a.toString(payload, 'utf8')
  if (decoder === 'text') return { value: { kind: 'text', value: text }, error: null }
  if (decoder === 'number') {
    const value = numberOf(text)
    if (value === null) return { value: { kind: 'raw' }, error: notA('number', text) }
    return { value: { kind: 'number', value }, error: null }
  }
  try {
    return { value: { kind: 'json', value: JSON.parse(text) }, error: null }
  } catch {
    return { value: { kind: 'raw' }, error: notA('JSON', text) }
  }
}

function numberOf (text: string): number | null {
  const trimmed = text.trim()
  const value = Number(trimmed)
  return trimmed === '' || !Number.isFinite(value) ? null : value
}

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF),
// which is what decodes and encodes back to the same bytes. upstream(bare@1.31.0): Bare
// has no TextDecoder with `fatal`; checked on the bytes, as a decode-and-compare costs a
// string and a buffer per reading.
export function isUtf8 (bytes: Uint8Array): boolean {
  const n = bytes.length
  let i = 0
  while (i < n) {
    const b = bytes[i]
    if (b < 0x80) {
      i++
      continue
    }
    let more: number
    let lo = 0x80
    let hi = 0xbf
    if (b >= 0xc2 && b <= 0xdf) more = 1
    else if (b >= 0xe0 && b <= 0xef) {
      more = 2
      if (b === 0xe0) lo = 0xa0
      else if (b === 0xed) hi = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      more = 3
      if (b === 0xf0) lo = 0x90
      else if (b === 0xf4) hi = 0x8f
    } else return false
    if (i + more >= n) return false
    const second = bytes[i + 1]
    if (second < lo || second > hi) return false
    for (let k = 2; k <= more; k++) {
      const next = bytes[i + k]
      if (next < 0x80 || next > 0xbf) return false
    }
    i += more + 1
  }
  return true
}

const NOT_UTF8 = 'not valid UTF-8'

// 'not a number: "warm"', with a long payload shortened.
function notA (what: 'number' | 'JSON', text: string): string {
  return `not ${what === 'number' ? 'a number' : what}: ${JSON.stringify(text.length > 32 ? text.slice(0, 32) + '…' : text)}`
}
