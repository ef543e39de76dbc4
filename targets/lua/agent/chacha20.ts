// ChaCha20 (RFC 8439) and HChaCha20 (draft-irtf-cfrg-xchacha), written so the same source
// gives the same bytes under Node.js and compiled to Lua 5.3.
//
// A word is only ever meaningful modulo 2^32: under Node it may be a negative int32, under
// Lua a 64-bit integer in 0..2^32-1. Every step ends with `& WORD`, which wraps both
// alike. `>>> 0` would not do: tstl compiles it to `>> 0`, a no-op on Lua's 64-bit
// integers, and Lua's `<<` keeps the bits JS drops above bit 31.
import { type Bytes } from './bytes.ts'

const WORD = 0xffffffff

function quarterRound (x: number[], a: number, b: number, c: number, d: number): void {
  let t = 0
  x[a] = (x[a] + x[b]) & WORD; t = x[d] ^ x[a]; x[d] = ((t << 16) | (t >>> 16)) & WORD
  x[c] = (x[c] + x[d]) & WORD; t = x[b] ^ x[c]; x[b] = ((t << 12) | (t >>> 20)) & WORD
  x[a] = (x[a] + x[b]) & WORD; t = x[d] ^ x[a]; x[d] = ((t << 8) | (t >>> 24)) & WORD
  x[c] = (x[c] + x[d]) & WORD; t = x[b] ^ x[c]; x[b] = ((t << 7) | (t >>> 25)) & WORD
}

function wordLE (src: Bytes, at: number): number {
  return src[at] | (src[at + 1] << 8) | (src[at + 2] << 16) | (src[at + 3] << 24)
}

function pushWordLE (out: Bytes, word: number): void {
  for (let shift = 0; shift < 32; shift += 8) out.push((word >>> shift) & 0xff)
}

// The constants, the key, then four words the caller chooses (counter and nonce for
// ChaCha20, the first 16 nonce bytes for HChaCha20).
function initialState (key: Bytes, tail: number[]): number[] {
  const state = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
  for (let i = 0; i < 32; i += 4) state.push(wordLE(key, i))
  for (let i = 0; i < 4; i++) state.push(tail[i])
  return state
}

function twentyRounds (state: number[]): number[] {
  const x: number[] = []
  for (let i = 0; i < 16; i++) x.push(state[i])
  for (let i = 0; i < 10; i++) {
    quarterRound(x, 0, 4, 8, 12); quarterRound(x, 1, 5, 9, 13)
    quarterRound(x, 2, 6, 10, 14); quarterRound(x, 3, 7, 11, 15)
    quarterRound(x, 0, 5, 10, 15); quarterRound(x, 1, 6, 11, 12)
    quarterRound(x, 2, 7, 8, 13); quarterRound(x, 3, 4, 9, 14)
  }
  return x
}

// XORs input with the keystream of (key, 12-byte nonce) from block `counter` on; with an
// all-zero input it returns the keystream itself.
export function chacha20Xor (key: Bytes, counter: number, nonce: Bytes, input: Bytes): Bytes {
  const out: Bytes = []
  const tail = [counter, wordLE(nonce, 0), wordLE(nonce, 4), wordLE(nonce, 8)]
  for (let at = 0; at < input.length; at += 64) {
    const state = initialState(key, tail)
    const x = twentyRounds(state)
    const block: Bytes = []
    for (let i = 0; i < 16; i++) pushWordLE(block, (x[i] + state[i]) & WORD)
    const end = Math.min(input.length - at, 64)
    for (let i = 0; i < end; i++) out.push(input[at + i] ^ block[i])
    tail[0] = (tail[0] + 1) & WORD
  }
  return out
}

// The subkey of XChaCha20: the first and last rows of the state after the rounds, without
// adding the input back in.
export function hchacha20 (key: Bytes, nonce16: Bytes): Bytes {
  const x = twentyRounds(initialState(key, [wordLE(nonce16, 0), wordLE(nonce16, 4), wordLE(nonce16, 8), wordLE(nonce16, 12)]))
  const out: Bytes = []
  for (let i = 0; i < 4; i++) pushWordLE(out, x[i])
  for (let i = 12; i < 16; i++) pushWordLE(out, x[i])
  return out
}
