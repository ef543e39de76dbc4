// An agent whose queue folder was lost (a factory reset, a reflash, a new SD card) numbers
// from 1 again. The node then takes its readings for old ones: numbers in its window it
// acknowledges as already stored (without storing them), numbers below the window it
// answers with an empty acknowledgement. Both carry the node's highest stored number, and
// that is how the agent finds out (docs/decisions/lan-ingest-wire.md, "Renumbering"):
//
// - An authentic acknowledgement whose highest is at or above the agent's next number
//   cannot answer readings of this numbering: every number the node has from this key was
//   handed out before. The readings it names are the old ones, so its list is not
//   believed; every queued reading is sealed again under a number above both the node's
//   highest and any this agent handed out, in one rewrite of the queue.
// - While a numbering is new (after a start without a queue, and after renumbering), one
//   reading is sent at a time, and an acknowledgement whose highest is above every number
//   sent since shows the same: it catches the agent that queued more readings than the
//   node has before the node first answered (its next number then passed the node's
//   highest). The numbering is confirmed by an acknowledgement that names a queued reading.
//
// Runs under Node too (test/unit/lua-agent-renumber.test.ts).
import { acknowledge, type Entry, type Queue, queuedReadings, replaceReadings } from './queue.ts'
import { type Device } from './readings.ts'
import { fromBytes, toBytes } from './text.ts'
import { type Ack, resealReading } from './wire.ts'

const MAX_SAFE = 9007199254740991

// `sentFloor`: the highest number the node may have from this numbering before anything
// is sent (0 after a start without a queue).
export function startProbing (q: Queue, sentFloor: number): void {
  q.probing = true
  q.sentTop = sentFloor
}

// Whether an acknowledgement carrying the node's highest shows that this agent's
// numbering restarted below what the node has stored.
export function showsRestart (q: Queue, nodeHighest: number): boolean {
  return nodeHighest >= q.nextSeq || (q.probing && nodeHighest > q.sentTop)
}

export interface Renumbered {
  ok: boolean
  // Why not, when not ok.
  reason: string
  // The highest number the node has from this device, as the acknowledgement said.
  nodeHighest: number
  oldNextSeq: number
  // The first new number, and the next number after the renumbered readings.
  firstSeq: number
  nextSeq: number
  readings: number
  // Queued readings that did not open with the device's key (left out), and the oldest
  // dropped because longer numbers took the queue past its bound.
  unreadable: number
  dropped: number
}

export function renumber (q: Queue, device: Device, nodeHighest: number): Renumbered {
  const oldNextSeq = q.nextSeq
  const firstSeq = Math.max(nodeHighest + 1, oldNextSeq)
  const queued = queuedReadings(q)
  const result: Renumbered = { ok: false, reason: '', nodeHighest, oldNextSeq, firstSeq, nextSeq: oldNextSeq, readings: 0, unreadable: 0, dropped: 0 }
  if (firstSeq + queued.length > MAX_SAFE) {
    result.reason = 'the new numbers would pass 2^53'
    return result
  }
  const entries: Entry[] = []
  let seq = firstSeq
  for (let i = 0; i < queued.length; i++) {
    const sealed = resealReading(device.key, device.deviceId, toBytes(queued[i].datagram), seq, device.randomBytes)
    if (sealed.ok) {
      entries.push({ seq, datagram: fromBytes(sealed.datagram) })
      seq++
    } else if (sealed.refusal === 'NO_RANDOMNESS') {
      result.reason = 'no random bytes for a nonce'
      return result
    } else {
      result.unreadable++
    }
  }
  const dropped = replaceReadings(q, entries, seq)
  if (dropped < 0) {
    result.reason = 'the queue could not be rewritten'
    return result
  }
  startProbing(q, firstSeq - 1)
  result.ok = true
  result.nextSeq = seq
  result.readings = entries.length - dropped
  result.dropped = dropped
  return result
}

export interface AcksTaken {
  // Readings the acknowledgements removed from the queue.
  acked: number
  // Acknowledgements taken as they are (not showing a restart), and the highest of those.
  applied: number
  nodeHighest: number
  renumbered: Renumbered[]
}

// The acknowledgements of one wake-up, each judged on its own in arrival order: one that
// shows a restart renumbers the queue (its list is not believed), the others remove what
// they name.
export function takeAcks (q: Queue, device: Device, acks: Ack[]): AcksTaken {
  const taken: AcksTaken = { acked: 0, applied: 0, nodeHighest: 0, renumbered: [] }
  for (let i = 0; i < acks.length; i++) {
    const ack = acks[i]
    if (showsRestart(q, ack.highestSeq)) {
      taken.renumbered.push(renumber(q, device, ack.highestSeq))
      continue
    }
    const removed = acknowledge(q, ack.seqs)
    // Only an answer to a reading of this numbering confirms it: an old acknowledgement
    // replayed, or one late for readings since renumbered, names none that is queued.
    if (removed > 0) q.probing = false
    taken.acked += removed
    taken.applied++
    if (ack.highestSeq > taken.nodeHighest) taken.nodeHighest = ack.highestSeq
  }
  return taken
}
