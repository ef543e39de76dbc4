// A reading becomes a queue entry: it takes the next sequence number and is sealed once
// (wire.ts), so the queue holds ciphertext and a retransmission sends the very same bytes.
// A reading the wire format refuses (a datagram over 1,400 bytes, a topic with a
// wildcard) takes no number and is reported back instead.
import { type Bytes } from './bytes.ts'
import { type Entry, type Queue, takeSeq } from './queue.ts'
import { fromBytes, toBytes } from './text.ts'
import { type RandomBytes, sealReading, type WireRefusal } from './wire.ts'

export interface Reading {
  topic: string
  payload: string
  // When the agent took it, milliseconds since 1970 (a whole number).
  timeMs: number
}

export interface Refused {
  topic: string
  refusal: WireRefusal
}

export interface Sealed {
  entries: Entry[]
  refused: Refused[]
}

export interface Device {
  key: Bytes
  deviceId: Bytes
  randomBytes: RandomBytes
}

export function sealReadings (q: Queue, device: Device, readings: Reading[]): Sealed {
  const sealed: Sealed = { entries: [], refused: [] }
  for (let i = 0; i < readings.length; i++) {
    const reading = readings[i]
    const seq = q.nextSeq
    const result = sealReading(device.key, device.deviceId, { seq, timeMs: reading.timeMs, topic: toBytes(reading.topic), payload: toBytes(reading.payload) }, device.randomBytes)
    if (result.ok) {
      takeSeq(q)
      sealed.entries.push({ seq, datagram: fromBytes(result.datagram) })
    } else {
      sealed.refused.push({ topic: reading.topic, refusal: result.refusal })
    }
  }
  return sealed
}
