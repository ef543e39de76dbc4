// Bytes are plain arrays of numbers 0..255 rather than Uint8Array: Uint8Array compiles to
// Lua but fails there at run time, and a Lua table indexed from 1 is what tstl makes of an
// array. These helpers use loops, not slice/concat/spread, so the bundle needs no lualib.
export type Bytes = number[]

export function zeros (count: number): Bytes {
  const out: Bytes = []
  for (let i = 0; i < count; i++) out.push(0)
  return out
}

export function copyOf (src: Bytes, start: number, end: number): Bytes {
  const out: Bytes = []
  for (let i = start; i < end; i++) out.push(src[i])
  return out
}

export function append (out: Bytes, src: Bytes): Bytes {
  for (let i = 0; i < src.length; i++) out.push(src[i])
  return out
}

// Constant time in the contents: every byte is compared whatever the first difference.
export function equalBytes (a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff = diff | (a[i] ^ b[i])
  return diff === 0
}

// Integers up to 2^53 split into two 32-bit halves with division rather than shifts:
// JS shifts work on 32 bits only, and Lua 5.3's integer arithmetic agrees with JS doubles
// on every step below 2^53.
const TWO_32 = 4294967296

export function pushUintBE (out: Bytes, value: number, byteCount: number): void {
  const high = Math.floor(value / TWO_32)
  const low = value - high * TWO_32
  for (let i = byteCount - 1; i >= 0; i--) {
    const word = i >= 4 ? high : low
    out.push((word >>> ((i % 4) * 8)) & 0xff)
  }
}

// Reads byteCount (up to 8) big-endian bytes; callers check the high bytes keep it < 2^53.
export function readUintBE (src: Bytes, at: number, byteCount: number): number {
  let value = 0
  for (let i = 0; i < byteCount; i++) value = value * 256 + src[at + i]
  return value
}
