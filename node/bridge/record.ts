// One reading as it is stored in a feed (a block holds many: feeds/block.ts): the
// topic, the payload bytes as the broker delivered them, when the node received it,
// QoS, retain, which decoder the rule named and whether decoding failed. Compact,
// versioned, and the payload is kept verbatim so a reader can always re-decode.
import c from 'compact-encoding'
import { DECODERS, type Decoder } from './decode.ts'
import { decodeBlock } from '../feeds/block.ts'
import { NodeError } from '../errors.ts'

export interface ReadingRecord {
  topic: string
  payload: Uint8Array
  receivedAt: number
  qos: 0 | 1 | 2
  retain: boolean
  decoder: Decoder
  decodeError: string | null
  // The MQTT packet identifier (0 for QoS 0): with topic and payload it recognises a
  // broker's redelivery after a crash.
  packetId: number
}

interface State { start: number, end: number, buffer: Uint8Array | null }

const VERSION = 1
const FLAG_RETAIN = 1
const FLAG_DECODE_ERROR = 2

export const readingRecord = {
  preencode (state: State, r: ReadingRecord): void {
    c.uint.preencode(state, VERSION)
    c.uint.preencode(state, flags(r))
    c.string.preencode(state, r.topic)
    c.buffer.preencode(state, r.payload)
    c.uint.preencode(state, r.receivedAt)
    c.uint.preencode(state, r.qos)
    c.uint.preencode(state, DECODERS.indexOf(r.decoder))
    c.uint.preencode(state, r.packetId)
    if (r.decodeError !== null) c.string.preencode(state, r.decodeError)
  },
  encode (state: State, r: ReadingRecord): void {
    c.uint.encode(state, VERSION)
    c.uint.encode(state, flags(r))
    c.string.encode(state, r.topic)
    c.buffer.encode(state, r.payload)
    c.uint.encode(state, r.receivedAt)
    c.uint.encode(state, r.qos)
    c.uint.encode(state, DECODERS.indexOf(r.decoder))
    c.uint.encode(state, r.packetId)
    if (r.decodeError !== null) c.string.encode(state, r.decodeError)
  },
  decode (state: State): ReadingRecord {
    const version = c.uint.decode(state)
    if (version !== VERSION) throw NodeError.MALFORMED(`reading record (unknown version ${version})`)
    const f = c.uint.decode(state)
    const topic = c.string.decode(state)
    const payload = c.buffer.decode(state)
    const receivedAt = c.uint.decode(state)
    const qos = c.uint.decode(state)
    if (qos > 2) throw NodeError.MALFORMED(`reading record (QoS ${qos})`)
    const decoder = DECODERS[c.uint.decode(state)]
    if (decoder === undefined) throw NodeError.MALFORMED('reading record (unknown decoder)')
    const packetId = c.uint.decode(state)
    const decodeError = f & FLAG_DECODE_ERROR ? c.string.decode(state) : null
    return { topic, payload: payload ?? new Uint8Array(0), receivedAt, qos: qos as 0 | 1 | 2, retain: (f & FLAG_RETAIN) !== 0, decoder, decodeError, packetId }
  }
}

function flags (r: ReadingRecord): number {
  return (r.retain ? FLAG_RETAIN : 0) | (r.decodeError !== null ? FLAG_DECODE_ERROR : 0)
}

export function encodeReading (r: ReadingRecord): Uint8Array {
  return c.encode(readingRecord, r)
}

export function decodeReading (record: Uint8Array): ReadingRecord {
  return c.decode(readingRecord, record)
}

// Every reading in one feed block, in the order they were stored; a block written
// before batching holds one.
export function decodeReadings (block: Uint8Array): ReadingRecord[] {
  return decodeBlock(block).records.map(decodeReading)
}
