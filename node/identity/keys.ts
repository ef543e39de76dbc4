import idEncoding from 'hypercore-id-encoding'
import { NodeError } from '../errors.ts'

// Keys are printed in z-base-32, as Holepunch tools print them; hex is accepted on input.
export function encodeKey (key: Uint8Array): string {
  return idEncoding.encode(key)
}

// The one test of a key's form: decodeKey refuses with it, the config rules report with it.
export function isPublicKey (value: unknown): value is string {
  return typeof value === 'string' && /^([13-9a-km-uw-z]{52}|[0-9a-fA-F]{64})$/.test(value)
}

export function decodeKey (what: string, value: string): Uint8Array {
  if (!isPublicKey(value)) throw NodeError.BAD_KEY(what, String(value))
  return idEncoding.decode(value)
}
