// XChaCha20-Poly1305-IETF (draft-irtf-cfrg-xchacha section 2.3 over RFC 8439 section 2.8),
// byte for byte what libsodium's crypto_aead_xchacha20poly1305_ietf_* produce and accept.
import { append, type Bytes, copyOf, equalBytes, zeros } from './bytes.ts'
import { chacha20Xor, hchacha20 } from './chacha20.ts'
import { poly1305 } from './poly1305.ts'

export const KEY_BYTES = 32
export const NONCE_BYTES = 24
export const TAG_BYTES = 16

function pushLength64LE (out: Bytes, length: number): void {
  for (let shift = 0; shift < 64; shift += 8) out.push(shift < 32 ? (length >>> shift) & 0xff : 0)
}

function pad16 (out: Bytes): void {
  while (out.length % 16 !== 0) out.push(0)
}

// The subkey and the 12-byte ChaCha20 nonce (four zero bytes, then the last 8 of the 24).
function subkeyAndNonce (key: Bytes, nonce: Bytes): [Bytes, Bytes] {
  return [hchacha20(key, copyOf(nonce, 0, 16)), append(zeros(4), copyOf(nonce, 16, 24))]
}

function tagOf (subkey: Bytes, chachaNonce: Bytes, aad: Bytes, ciphertext: Bytes): Bytes {
  const polyKey = chacha20Xor(subkey, 0, chachaNonce, zeros(32))
  const macData = append([], aad)
  pad16(macData)
  append(macData, ciphertext)
  pad16(macData)
  pushLength64LE(macData, aad.length)
  pushLength64LE(macData, ciphertext.length)
  return poly1305(polyKey, macData)
}

// The ciphertext followed by the 16-byte tag. key and nonce must be 32 and 24 bytes.
export function aeadSeal (key: Bytes, nonce: Bytes, aad: Bytes, plaintext: Bytes): Bytes {
  const [subkey, chachaNonce] = subkeyAndNonce(key, nonce)
  const ciphertext = chacha20Xor(subkey, 1, chachaNonce, plaintext)
  return append(ciphertext, tagOf(subkey, chachaNonce, aad, ciphertext))
}

// The plaintext, or undefined when the tag does not verify (nothing is decrypted then) or
// the lengths are wrong.
export function aeadOpen (key: Bytes, nonce: Bytes, aad: Bytes, sealed: Bytes): Bytes | undefined {
  if (key.length !== KEY_BYTES || nonce.length !== NONCE_BYTES || sealed.length < TAG_BYTES) return undefined
  const [subkey, chachaNonce] = subkeyAndNonce(key, nonce)
  const ciphertext = copyOf(sealed, 0, sealed.length - TAG_BYTES)
  const tag = copyOf(sealed, sealed.length - TAG_BYTES, sealed.length)
  if (!equalBytes(tagOf(subkey, chachaNonce, aad, ciphertext), tag)) return undefined
  return chacha20Xor(subkey, 1, chachaNonce, ciphertext)
}
