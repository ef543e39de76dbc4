// When each queued reading goes out: the oldest first, at most MAX_IN_FLIGHT sent and not
// acknowledged, each sent again after 1, 2, 4 ... seconds (at most a minute apart) until
// an acknowledgement names it. While the numbering is new (renumber.ts) one reading is
// out at a time, sent again at most PROBE_RETRY_S apart: one datagram costs nothing, and
// everything else waits for its answer. Runs under Node too
// (test/unit/lua-agent-queue.test.ts).
import { type Queue, type Queued, tidyOrder } from './queue.ts'

export const MAX_IN_FLIGHT = 32
export const MAX_RETRY_S = 60
export const PROBE_RETRY_S = 2

// The first acknowledgement after a silence (the node back) makes the readings already
// sent again (backing off) go now; readings sent once are left alone, their acks may be
// on the way.
export function noteAck (q: Queue, now: number): void {
  if (now - q.lastAckAt > 5) {
    for (let i = q.head; i < q.order.length; i++) {
      const record = q.live[q.order[i]]
      if (record !== undefined && record.attempts > 1 && record.nextAt > now) record.nextAt = now
    }
  }
  q.lastAckAt = now
}

export function retryDelayS (attempts: number): number {
  let delay = 1
  for (let i = 1; i < attempts && delay < MAX_RETRY_S; i++) delay *= 2
  return Math.min(delay, MAX_RETRY_S)
}

export interface Due {
  records: Queued[]
  // The earliest retransmission after these (undefined: none waiting).
  wakeAt: number | undefined
}

// What to send now: retransmissions that are due, then the oldest unsent while fewer than
// MAX_IN_FLIGHT are out. The caller sends them and calls markSent for each.
export function dueToSend (q: Queue, now: number): Due {
  tidyOrder(q)
  const records: Queued[] = []
  let wakeAt: number | undefined
  let inFlight = q.inFlight
  const maxInFlight = q.probing ? 1 : MAX_IN_FLIGHT
  for (let i = q.head; i < q.order.length; i++) {
    const record = q.live[q.order[i]]
    if (record === undefined) continue
    if (record.attempts > 0) {
      if (record.nextAt <= now) records.push(record)
      else if (wakeAt === undefined || record.nextAt < wakeAt) wakeAt = record.nextAt
      continue
    }
    if (inFlight >= maxInFlight) break
    records.push(record)
    inFlight++
  }
  return { records, wakeAt }
}

export function markSent (q: Queue, record: Queued, now: number): void {
  if (record.attempts === 0) q.inFlight++
  if (record.seq > q.sentTop) q.sentTop = record.seq
  record.attempts++
  const delay = retryDelayS(record.attempts)
  record.nextAt = now + (q.probing && delay > PROBE_RETRY_S ? PROBE_RETRY_S : delay)
}
