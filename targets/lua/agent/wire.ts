// The LAN ingest datagrams as docs/decisions/lan-ingest-wire.md defines them: the agent
// seals readings (and seals a queued one again under a new number) and opens
// acknowledgements. Refusals are returned as values, never
// thrown, so the agent's loop in Lua counts and logs them without pcall.
import { aeadOpen, aeadSeal, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from './aead.ts'
import { append, type Bytes, copyOf, pushUintBE, readUintBE } from './bytes.ts'

export const KIND_READING = 0x01
export const KIND_ACK = 0x02
export const DEVICE_ID_BYTES = 8
// One Ethernet frame after IP and UDP headers, with room to spare: no IP fragmentation.
export const MAX_DATAGRAM_BYTES = 1400
export const MAX_TOPIC_BYTES = 1024
export const MAX_PAYLOAD_BYTES = 65536
export const MAX_ACK_SEQS = 64

// kind, device id, sequence: the part of the header that is the additional data.
const HEADER_BYTES = 1 + DEVICE_ID_BYTES + 8
const SEALED_OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES
// time, topic length, payload length
const RECORD_OVERHEAD = 8 + 2 + 4
// An empty acknowledgement: the count alone.
const ACK_MIN_BYTES = SEALED_OVERHEAD + 2
// Sequence numbers and times stay below 2^53, where JS numbers are exact.
const MAX_SAFE = 9007199254740991

export type WireRefusal =
  | 'BAD_KEY' | 'BAD_DEVICE_ID' | 'BAD_SEQ' | 'BAD_TIME'
  | 'TOPIC_EMPTY' | 'TOPIC_TOO_LONG' | 'TOPIC_NOT_A_NAME' | 'PAYLOAD_TOO_LONG' | 'DATAGRAM_TOO_BIG' | 'NO_RANDOMNESS'
  | 'BAD_LENGTH' | 'NOT_AN_ACK' | 'OTHER_DEVICE' | 'BAD_TAG' | 'BAD_COUNT'

export interface Reading {
  seq: number
  timeMs: number
  // UTF-8 bytes of an MQTT topic name.
  topic: Bytes
  payload: Bytes
}

// The agent reads /dev/urandom (random.ts); tests pass fixed bytes. undefined = no bytes.
export type RandomBytes = (count: number) => Bytes | undefined

export type SealResult = { ok: true, datagram: Bytes } | { ok: false, refusal: WireRefusal }

export interface Ack {
  // The highest sequence number the node has stored for this device: at or above the
  // agent's next number, it shows the agent's numbering restarted (renumber.ts).
  highestSeq: number
  // The readings this acknowledgement covers; none when the node answers a reading too
  // old for its window.
  seqs: number[]
}

export type AckResult = { ok: true, ack: Ack } | { ok: false, refusal: WireRefusal }

function isWhole (value: number, min: number): boolean {
  return value >= min && value <= MAX_SAFE && Math.floor(value) === value
}

// A topic name has no wildcard and no NUL (MQTT 3.1.1 sections 1.5.3 and 4.7.1). A UTF-8
// multi-byte sequence never holds a byte below 0x80, so looking at bytes is enough.
function isTopicName (topic: Bytes): boolean {
  for (let i = 0; i < topic.length; i++) {
    if (topic[i] === 0x00 || topic[i] === 0x23 || topic[i] === 0x2b) return false
  }
  return true
}

function checkReading (key: Bytes, deviceId: Bytes, reading: Reading): WireRefusal | undefined {
  if (key.length !== KEY_BYTES) return 'BAD_KEY'
  if (deviceId.length !== DEVICE_ID_BYTES) return 'BAD_DEVICE_ID'
  if (!isWhole(reading.seq, 1)) return 'BAD_SEQ'
  if (!isWhole(reading.timeMs, 0)) return 'BAD_TIME'
  if (reading.topic.length === 0) return 'TOPIC_EMPTY'
  if (reading.topic.length > MAX_TOPIC_BYTES) return 'TOPIC_TOO_LONG'
  if (!isTopicName(reading.topic)) return 'TOPIC_NOT_A_NAME'
  if (reading.payload.length > MAX_PAYLOAD_BYTES) return 'PAYLOAD_TOO_LONG'
  if (SEALED_OVERHEAD + RECORD_OVERHEAD + reading.topic.length + reading.payload.length > MAX_DATAGRAM_BYTES) return 'DATAGRAM_TOO_BIG'
  return undefined
}

// The header and a fresh nonce around a sealed record.
function sealRecord (key: Bytes, deviceId: Bytes, seq: number, record: Bytes, randomBytes: RandomBytes): SealResult {
  const nonce = randomBytes(NONCE_BYTES)
  if (nonce === undefined || nonce.length !== NONCE_BYTES) return { ok: false, refusal: 'NO_RANDOMNESS' }
  const header: Bytes = [KIND_READING]
  append(header, deviceId)
  pushUintBE(header, seq, 8)
  const sealed = aeadSeal(key, nonce, header, record)
  return { ok: true, datagram: append(append(header, nonce), sealed) }
}

export function sealReading (key: Bytes, deviceId: Bytes, reading: Reading, randomBytes: RandomBytes): SealResult {
  const refusal = checkReading(key, deviceId, reading)
  if (refusal !== undefined) return { ok: false, refusal }
  const record: Bytes = []
  pushUintBE(record, reading.timeMs, 8)
  pushUintBE(record, reading.topic.length, 2)
  append(record, reading.topic)
  pushUintBE(record, reading.payload.length, 4)
  append(record, reading.payload)
  return sealRecord(key, deviceId, reading.seq, record, randomBytes)
}

// A reading datagram this device sealed, opened with its key and sealed again under
// another sequence number with a fresh nonce: the same record (time, topic, payload).
// BAD_TAG when it does not open: not sealed with this key for this device, or damaged.
export function resealReading (key: Bytes, deviceId: Bytes, datagram: Bytes, seq: number, randomBytes: RandomBytes): SealResult {
  if (key.length !== KEY_BYTES) return { ok: false, refusal: 'BAD_KEY' }
  if (deviceId.length !== DEVICE_ID_BYTES) return { ok: false, refusal: 'BAD_DEVICE_ID' }
  if (!isWhole(seq, 1)) return { ok: false, refusal: 'BAD_SEQ' }
  if (datagram.length < SEALED_OVERHEAD + RECORD_OVERHEAD || datagram.length > MAX_DATAGRAM_BYTES) return { ok: false, refusal: 'BAD_LENGTH' }
  for (let i = 0; i < DEVICE_ID_BYTES; i++) {
    if (datagram[1 + i] !== deviceId[i]) return { ok: false, refusal: 'OTHER_DEVICE' }
  }
  // Acknowledgements are sealed with the same key: only a reading is taken.
  if (datagram[0] !== KIND_READING) return { ok: false, refusal: 'BAD_TAG' }
  const header = copyOf(datagram, 0, HEADER_BYTES)
  const nonce = copyOf(datagram, HEADER_BYTES, HEADER_BYTES + NONCE_BYTES)
  const record = aeadOpen(key, nonce, header, copyOf(datagram, HEADER_BYTES + NONCE_BYTES, datagram.length))
  if (record === undefined) return { ok: false, refusal: 'BAD_TAG' }
  return sealRecord(key, deviceId, seq, record, randomBytes)
}

// A sequence number of 8 bytes at `at`, or undefined from 2^53 on (the top 11 bits set).
function readSeq (src: Bytes, at: number): number | undefined {
  if (src[at] !== 0 || src[at + 1] > 0x1f) return undefined
  return readUintBE(src, at, 8)
}

export function openAck (key: Bytes, deviceId: Bytes, datagram: Bytes): AckResult {
  if (key.length !== KEY_BYTES) return { ok: false, refusal: 'BAD_KEY' }
  if (datagram.length < ACK_MIN_BYTES || datagram.length > MAX_DATAGRAM_BYTES) return { ok: false, refusal: 'BAD_LENGTH' }
  if (datagram[0] !== KIND_ACK) return { ok: false, refusal: 'NOT_AN_ACK' }
  // The device id is no secret: an early return leaks nothing.
  for (let i = 0; i < DEVICE_ID_BYTES; i++) {
    if (datagram[1 + i] !== deviceId[i]) return { ok: false, refusal: 'OTHER_DEVICE' }
  }
  const header = copyOf(datagram, 0, HEADER_BYTES)
  const nonce = copyOf(datagram, HEADER_BYTES, HEADER_BYTES + NONCE_BYTES)
  const list = aeadOpen(key, nonce, header, copyOf(datagram, HEADER_BYTES + NONCE_BYTES, datagram.length))
  if (list === undefined) return { ok: false, refusal: 'BAD_TAG' }

  // Count 0 with nothing after it is the node's answer to a reading too old for its window.
  const count = readUintBE(list, 0, 2)
  if (count > MAX_ACK_SEQS || list.length !== 2 + 8 * count) return { ok: false, refusal: 'BAD_COUNT' }
  const highestSeq = readSeq(header, 1 + DEVICE_ID_BYTES)
  if (highestSeq === undefined) return { ok: false, refusal: 'BAD_SEQ' }
  const seqs: number[] = []
  for (let i = 0; i < count; i++) {
    const seq = readSeq(list, 2 + 8 * i)
    if (seq === undefined || seq === 0) return { ok: false, refusal: 'BAD_SEQ' }
    seqs.push(seq)
  }
  return { ok: true, ack: { highestSeq, seqs } }
}
