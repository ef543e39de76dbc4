// The LAN ingest wire format, node side: opening a reading datagram from an agent and
// sealing the acknowledgement that goes back. docs/decisions/lan-ingest-wire.md is the
// format; every check here turns a bad datagram into a drop reason, never a throw.
import b4a from 'b4a'
import sodium from 'sodium-universal'

export const KIND_READING = 0x01
export const KIND_ACK = 0x02
export const ID_BYTES = 8
export const KEY_BYTES = 32
export const NONCE_BYTES = 24
export const TAG_BYTES = 16
// Kind, device id, sequence number: the additional data both sides authenticate.
export const HEADER_BYTES = 1 + ID_BYTES + 8
export const NONCE_AT = HEADER_BYTES
export const SEALED_AT = HEADER_BYTES + NONCE_BYTES
// One Ethernet frame after IP and UDP headers, with room to spare.
export const MAX_DATAGRAM_BYTES = 1400
export const MAX_TOPIC_BYTES = 1024
export const MAX_PAYLOAD_BYTES = 65_536
// Time, topic length, a one-byte topic, payload length.
const MIN_RECORD_BYTES = 8 + 2 + 1 + 4
export const MIN_READING_BYTES = SEALED_AT + MIN_RECORD_BYTES + TAG_BYTES
export const MAX_ACKED = 64
const TWO_32 = 0x1_0000_0000

export type HeaderDrop = 'oversized' | 'unknown-kind' | 'truncated'

export interface ReadingHeader {
  // The device id as hex: how the node looks devices up.
  deviceId: string
  // As sent; sequenceOf() says whether it is one an agent may use.
  sequence: number
}

export interface Reading {
  // The agent's clock, milliseconds since 1970; the feed records the node's time instead.
  takenAt: number
  topic: string
  payload: Uint8Array
}

// Cheap checks before any key is looked up: the size and the kind.
export function readHeader (datagram: Uint8Array): ReadingHeader | HeaderDrop {
  if (datagram.byteLength > MAX_DATAGRAM_BYTES) return 'oversized'
  if (datagram.byteLength === 0) return 'truncated'
  if (datagram[0] !== KIND_READING) return 'unknown-kind'
  if (datagram.byteLength < MIN_READING_BYTES) return 'truncated'
  return { deviceId: b4a.toString(datagram.subarray(1, 1 + ID_BYTES), 'hex'), sequence: readUint64(datagram, 1 + ID_BYTES) }
}

// Sequence numbers start at 1 and stay below 2^53 (so a JavaScript number holds them).
export function isSequence (sequence: number): boolean {
  return Number.isSafeInteger(sequence) && sequence >= 1
}

// The record's bytes, or null when the tag does not verify under this key.
export function openReading (datagram: Uint8Array, key: Uint8Array): Uint8Array | null {
  const sealed = datagram.subarray(SEALED_AT)
  const plain = b4a.allocUnsafe(sealed.byteLength - TAG_BYTES)
  try {
    sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plain, null, sealed, datagram.subarray(0, HEADER_BYTES),
      datagram.subarray(NONCE_AT, SEALED_AT), key)
  } catch {
    return null
  }
  return plain
}

// The record inside, or null when its lengths do not add up or its topic is not an
// MQTT topic name (UTF-8, 1 to 1,024 bytes, no wildcard or NUL).
export function readRecord (plain: Uint8Array): Reading | null {
  if (plain.byteLength < MIN_RECORD_BYTES) return null
  const takenAt = readUint64(plain, 0)
  if (!Number.isSafeInteger(takenAt)) return null
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength)
  const topicBytes = view.getUint16(8)
  if (topicBytes < 1 || topicBytes > MAX_TOPIC_BYTES || plain.byteLength < 10 + topicBytes + 4) return null
  const payloadBytes = view.getUint32(10 + topicBytes)
  if (payloadBytes > MAX_PAYLOAD_BYTES || plain.byteLength !== 10 + topicBytes + 4 + payloadBytes) return null
  const topicRaw = plain.subarray(10, 10 + topicBytes)
  const topic = b4a.toString(topicRaw, 'utf8')
  // upstream(bare@1.31.0): no TextDecoder with fatal; invalid UTF-8 decodes to U+FFFD and does not encode back.
  if (/[+#\u0000]/.test(topic) || !b4a.equals(b4a.from(topic, 'utf8'), topicRaw)) return null
  return { takenAt, topic, payload: plain.subarray(14 + topicBytes) }
}

// An acknowledgement of up to MAX_ACKED sequence numbers, sealed with the device's key;
// with none, the answer to a reading too old for the window (acks.ts). `nonce` is for the
// shared test vectors; the node always draws a random one.
export function sealAck (deviceId: Uint8Array, key: Uint8Array, highest: number, sequences: readonly number[], nonce?: Uint8Array): Uint8Array {
  const plain = b4a.alloc(2 + 8 * sequences.length)
  new DataView(plain.buffer, plain.byteOffset, plain.byteLength).setUint16(0, sequences.length)
  sequences.forEach((s, i) => writeUint64(plain, 2 + 8 * i, s))
  const datagram = b4a.alloc(SEALED_AT + plain.byteLength + TAG_BYTES)
  datagram[0] = KIND_ACK
  datagram.set(deviceId, 1)
  writeUint64(datagram, 1 + ID_BYTES, highest)
  if (nonce === undefined) sodium.randombytes_buf(datagram.subarray(NONCE_AT, SEALED_AT))
  else datagram.set(nonce, NONCE_AT)
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(datagram.subarray(SEALED_AT), plain, datagram.subarray(0, HEADER_BYTES), null,
    datagram.subarray(NONCE_AT, SEALED_AT), key)
  return datagram
}

// Big-endian, as two 32-bit halves: Bare and Node.js both read these without BigInt.
// Values of 2^53 and above come out unsafe, which callers refuse.
export function readUint64 (bytes: Uint8Array, at: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return view.getUint32(at) * TWO_32 + view.getUint32(at + 4)
}

export function writeUint64 (bytes: Uint8Array, at: number, value: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  view.setUint32(at, Math.floor(value / TWO_32))
  view.setUint32(at + 4, value % TWO_32)
}
