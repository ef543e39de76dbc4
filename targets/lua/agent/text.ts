// Byte strings for the agent's modules that also run under Node.js (the config, MQTT and
// queue tests). A Lua string is bytes; under Node the tests pass strings whose char codes
// are 0..255 (latin1), so `length`, `charCodeAt` and `substring` count bytes on both.
// Only operations tstl compiles to Lua's own string functions or to tiny lualib helpers
// are used here: no split, trim, replace or Number().
import { type Bytes } from './bytes.ts'

export function isBlank (code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13
}

export function trim (text: string): string {
  let start = 0
  let end = text.length
  while (start < end && isBlank(text.charCodeAt(start))) start++
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--
  return text.substring(start, end)
}

// A whole number written in decimal digits only (no sign, no exponent), below 2^53 so that
// Lua's integers and JS numbers agree; undefined otherwise.
export function parseWhole (text: string): number | undefined {
  if (text.length === 0 || text.length > 15) return undefined
  let value = 0
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) return undefined
    value = value * 10 + digit
  }
  return value
}

function hexNibble (code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 102) return code - 87
  if (code >= 65 && code <= 70) return code - 55
  return -1
}

// Exactly `count` bytes written as 2 * count hex digits (either case), or undefined.
export function parseHex (text: string, count: number): Bytes | undefined {
  if (text.length !== 2 * count) return undefined
  const out: Bytes = []
  for (let i = 0; i < text.length; i += 2) {
    const high = hexNibble(text.charCodeAt(i))
    const low = hexNibble(text.charCodeAt(i + 1))
    if (high < 0 || low < 0) return undefined
    out.push(high * 16 + low)
  }
  return out
}

export function toBytes (text: string): Bytes {
  const out: Bytes = []
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i))
  return out
}

// Joined once at the end: building a Lua string a byte at a time copies it every time.
export function fromBytes (bytes: Bytes): string {
  const parts: string[] = []
  for (let i = 0; i < bytes.length; i++) parts.push(String.fromCharCode(bytes[i]))
  return parts.join('')
}

// Two bytes, big-endian (MQTT's lengths and packet ids).
export function uint16 (value: number): string {
  return String.fromCharCode((value >>> 8) & 255, value & 255)
}
