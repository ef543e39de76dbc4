// test/vectors/lan-ingest.json as cases of the agent's vector runner: one input line (the
// format of targets/lua/agent/vector-cases.ts) and the one result line the vector demands.
// The unit test runs the lines through the TypeScript under Node, the e2e test through the
// Lua bundle under lua5.3; both compare with the same expected lines.
import fs from 'node:fs'
import path from 'node:path'
import sodium from 'sodium-universal'

export const VECTORS_FILE = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'vectors', 'lan-ingest.json')

export interface VectorCase {
  name: string
  line: string
  expected: string
}

interface Named { name: string, source: string }

interface VectorFile {
  chacha20: Array<Named & { key: string, nonce: string, counter: number, input: string, output: string }>
  hchacha20: Array<Named & { key: string, nonce: string, output: string }>
  poly1305: Array<Named & { key: string, message: string, tag: string }>
  aead: Array<Named & { key: string, nonce: string, aad: string, plaintext: string, sealed: string }>
  aeadFailures: Array<Named & { key: string, nonce: string, aad: string, sealed: string }>
  readings: Array<Named & {
    key: string, deviceId: string, nonce: string, seq: number, timeMs: number, topic: string, payload: string, payloadRepeat?: number
    datagram?: string, refusal?: string
  }>
  acks: Array<Named & { key: string, deviceId: string, datagram: string, highestSeq?: number, seqs?: number[], refusal?: string }>
}

// The runner's byte fields: hex, "-" for none.
export const field = (hex: string): string => hex === '' ? '-' : hex

export function loadVectors (): VectorFile {
  return JSON.parse(fs.readFileSync(VECTORS_FILE, 'utf8')) as VectorFile
}

export function vectorCases (vectors: VectorFile = loadVectors()): VectorCase[] {
  const cases: VectorCase[] = []
  const add = (name: string, parts: Array<string | number>, expected: string): void => {
    cases.push({ name, line: parts.map((p) => typeof p === 'number' ? String(p) : field(p)).join(' '), expected })
  }
  for (const v of vectors.chacha20) add(`chacha20 ${v.name}`, ['chacha20', v.key, v.nonce, v.counter, v.input], `ok ${field(v.output)}`)
  for (const v of vectors.hchacha20) add(`hchacha20 ${v.name}`, ['hchacha20', v.key, v.nonce], `ok ${v.output}`)
  for (const v of vectors.poly1305) add(`poly1305 ${v.name}`, ['poly1305', v.key, v.message], `ok ${v.tag}`)
  for (const v of vectors.aead) {
    add(`seal ${v.name}`, ['seal', v.key, v.nonce, v.aad, v.plaintext], `ok ${field(v.sealed)}`)
    add(`open ${v.name}`, ['open', v.key, v.nonce, v.aad, v.sealed], `ok ${field(v.plaintext)}`)
  }
  for (const v of vectors.aeadFailures) add(`open fails: ${v.name}`, ['open', v.key, v.nonce, v.aad, v.sealed], 'fail')
  for (const v of vectors.readings) {
    const topic = Buffer.from(v.topic, 'utf8').toString('hex')
    const payload = v.payload.repeat(v.payloadRepeat ?? 1)
    add(`reading ${v.name}`, ['reading', v.key, v.deviceId, v.nonce, v.seq, v.timeMs, topic, payload],
      v.refusal !== undefined ? `refused ${v.refusal}` : `ok ${v.datagram ?? ''}`)
  }
  for (const v of vectors.acks) {
    add(`ack ${v.name}`, ['ack', v.key, v.deviceId, v.datagram],
      v.refusal !== undefined ? `refused ${v.refusal}` : `ack ${v.highestSeq ?? ''} ${field((v.seqs ?? []).join(','))}`)
  }
  return cases
}

// sodium's open, undefined when the tag does not verify (sodium throws then).
export function sodiumOpen (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < 16) return undefined
  const plaintext = Buffer.alloc(sealed.length - 16)
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext, null, sealed, aad, nonce, key)
  } catch {
    return undefined
  }
  return plaintext
}

export function sodiumSeal (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  const sealed = Buffer.alloc(plaintext.length + 16)
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, plaintext, aad, null, nonce, key)
  return sealed
}

export function randomBytes (count: number): Buffer {
  const out = Buffer.alloc(count)
  sodium.randombytes_buf(out)
  return out
}

// A reading datagram opened by sodium and its record read field by field, as the node
// will: undefined when it does not open.
export function sodiumOpenReading (key: Uint8Array, datagram: Buffer): { deviceId: string, seq: number, timeMs: number, topic: string, payload: string } | undefined {
  const record = sodiumOpen(key, datagram.subarray(17, 41), datagram.subarray(0, 17), datagram.subarray(41))
  if (record === undefined || datagram[0] !== 0x01) return undefined
  const topicLength = record.readUInt16BE(8)
  const payloadLength = record.readUInt32BE(10 + topicLength)
  return {
    deviceId: datagram.subarray(1, 9).toString('hex'),
    seq: Number(datagram.readBigUInt64BE(9)),
    timeMs: Number(record.readBigUInt64BE(0)),
    topic: record.subarray(10, 10 + topicLength).toString('hex'),
    payload: record.subarray(14 + topicLength, 14 + topicLength + payloadLength).toString('hex')
  }
}
