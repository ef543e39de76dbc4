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

// upstream(bare@1.31.0): Bare has no TextDecoder; invalid UTF-8 decodes to U+FFFD, so a text that does not
// encode back to the same bytes was not valid UTF-8.
function utf8 (payload: Uint8Array): string | null {
  const text = b4a.toString(payload, 'utf8')
  return b4a.equals(b4a.from(text, 'utf8'), payload) ? text : null
}

export function decodePayload (decoder: Decoder, payload: Uint8Array): Decoded {
  if (decoder === 'raw') return { value: { kind: 'raw' }, error: null }
  const text = utf8(payload)
  if (text === null) return { value: { kind: 'raw' }, error: 'not valid UTF-8' }
  if (decoder === 'text') return { value: { kind: 'text', value: text }, error: null }
  if (decoder === 'number') {
    const trimmed = text.trim()
    const value = Number(trimmed)
    if (trimmed === '' || !Number.isFinite(value)) return { value: { kind: 'raw' }, error: `not a number: ${preview(text)}` }
    return { value: { kind: 'number', value }, error: null }
  }
  try {
    return { value: { kind: 'json', value: JSON.parse(text) }, error: null }
  } catch {
    return { value: { kind: 'raw' }, error: `not JSON: ${preview(text)}` }
  }
}

function preview (text: string): string {
  return JSON.stringify(text.length > 32 ? text.slice(0, 32) + '…' : text)
}
