// Test-only: one case of test/vectors/lan-ingest.json as a line of text in, one result line
// out. Node's unit test and the Lua bundle (vector-runner.ts) run this same dispatch, so
// the two runtimes are compared on identical code paths. Fields are separated by spaces;
// bytes are lowercase hex, "-" when empty.
//
//   chacha20 KEY NONCE COUNTER INPUT     -> ok HEX
//   hchacha20 KEY NONCE16                -> ok HEX
//   poly1305 KEY MESSAGE                 -> ok HEX
//   seal KEY NONCE AAD PLAINTEXT         -> ok HEX
//   open KEY NONCE AAD SEALED            -> ok HEX | fail
//   reading KEY DEVICE_ID NONCE SEQ TIME_MS TOPIC PAYLOAD  -> ok HEX | refused CODE
//        (NONCE "random" takes it from the runtime's random source)
//   ack KEY DEVICE_ID DATAGRAM           -> ack HIGHEST SEQ,SEQ,... (- for none) | refused CODE
//   repeat N LINE                        -> ok SECONDS (LINE run N times; for benchmarks)
import { aeadOpen, aeadSeal } from './aead.ts'
import { type Bytes } from './bytes.ts'
import { chacha20Xor, hchacha20 } from './chacha20.ts'
import { poly1305 } from './poly1305.ts'
import { openAck, type RandomBytes, sealReading } from './wire.ts'

const HEX_DIGITS = '0123456789abcdef'

function nibble (code: number): number {
  return code <= 0x39 ? code - 0x30 : code - 0x57
}

export function fromHex (hex: string): Bytes {
  const out: Bytes = []
  if (hex === '-') return out
  for (let i = 0; i < hex.length; i += 2) out.push(nibble(hex.charCodeAt(i)) * 16 + nibble(hex.charCodeAt(i + 1)))
  return out
}

export function toHex (bytes: Bytes): string {
  if (bytes.length === 0) return '-'
  const parts: string[] = []
  for (let i = 0; i < bytes.length; i++) parts.push(HEX_DIGITS.charAt(bytes[i] >>> 4) + HEX_DIGITS.charAt(bytes[i] & 0x0f))
  return parts.join('')
}

// Seconds, for the repeat op only. A type alias, not a property signature: tstl gives
// functions typed in an interface a Lua `self` parameter.
export type Clock = () => number

export interface Runtime {
  randomBytes: RandomBytes
  clock: Clock
}

function runFields (f: string[], runtime: Runtime): string {
  const op = f[0]
  if (op === 'chacha20') return 'ok ' + toHex(chacha20Xor(fromHex(f[1]), Number(f[3]), fromHex(f[2]), fromHex(f[4])))
  if (op === 'hchacha20') return 'ok ' + toHex(hchacha20(fromHex(f[1]), fromHex(f[2])))
  if (op === 'poly1305') return 'ok ' + toHex(poly1305(fromHex(f[1]), fromHex(f[2])))
  if (op === 'seal') return 'ok ' + toHex(aeadSeal(fromHex(f[1]), fromHex(f[2]), fromHex(f[3]), fromHex(f[4])))
  if (op === 'open') {
    const plaintext = aeadOpen(fromHex(f[1]), fromHex(f[2]), fromHex(f[3]), fromHex(f[4]))
    return plaintext === undefined ? 'fail' : 'ok ' + toHex(plaintext)
  }
  if (op === 'reading') {
    const nonce = fromHex(f[3])
    const randomBytes: RandomBytes = f[3] === 'random' ? runtime.randomBytes : () => nonce
    const reading = { seq: Number(f[4]), timeMs: Number(f[5]), topic: fromHex(f[6]), payload: fromHex(f[7]) }
    const sealed = sealReading(fromHex(f[1]), fromHex(f[2]), reading, randomBytes)
    return sealed.ok ? 'ok ' + toHex(sealed.datagram) : 'refused ' + sealed.refusal
  }
  if (op === 'ack') {
    const opened = openAck(fromHex(f[1]), fromHex(f[2]), fromHex(f[3]))
    if (!opened.ok) return 'refused ' + opened.refusal
    return `ack ${opened.ack.highestSeq} ${opened.ack.seqs.length === 0 ? '-' : opened.ack.seqs.join(',')}`
  }
  if (op === 'repeat') {
    const rest: string[] = []
    for (let i = 2; i < f.length; i++) rest.push(f[i])
    const start = runtime.clock()
    for (let i = 0; i < Number(f[1]); i++) runFields(rest, runtime)
    return `ok ${runtime.clock() - start}`
  }
  return 'unknown ' + op
}

export function runCase (line: string, runtime: Runtime): string {
  return runFields(line.split(' '), runtime)
}
