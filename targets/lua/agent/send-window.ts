// When each queued reading goes out: the oldest first, at most MAX_IN_FLIGHT sent and not
// acknowledged, each sent again after 1, 2, 4 ... seconds (at most a minute apart) until
// an acknowledgement names it. A reading goes out for the first time only if it is less
// than MAX_SPAN numbers past the oldest one still queued: the node places a number only
// within its window (node/lan/window.ts, 1,024 below its highest), and a reading left
// behind while later ones were stored would otherwise fall out of it and never be
// acknowledged. A reading still unacknowledged a while after a later-sent one was
// acknowledged was lost on the way, and is sent again at once. While the numbering is new (renumber.ts) one reading is
// out at a time, sent again at most PROBE_RETRY_S apart: one datagram costs nothing, and
// everything else waits for its answer. Runs under Node too
// (test/unit/lua-agent-queue.test.ts).
import { type Queue, type Queued, tidyOrder } from './queue.ts'

export const MAX_IN_FLIGHT = 32
export const MAX_RETRY_S = 60
export const PROBE_RETRY_S = 2
// Half the node's window, so that the readings in flight stay inside it with room to spare.
export const MAX_SPAN = 512
// How much earlier than an acknowledged reading one must have been sent to be taken as
// lost rather than still on its way (the node acknowledges in arrival order, a turn of
// its loop at a time).
export const OVERTAKEN_S = 1

// Called after the acknowledgements of a datagram were applied (queue.ts acknowledge). The
// first after a silence (the node back) makes the readings already sent again (backing
// off) go now; readings sent once are left alone, their acks may be on the way. And a
// reading sent OVERTAKEN_S before the latest one acknowledged goes now.
export function noteAck (q: Queue, now: number): void {
  const silence = now - q.lastAckAt > 5
  // Called for every acknowledgement datagram, with thousands of readings queued: only the
  // sent ones are looked at, and those come first, as sending goes oldest first.
  for (let i = q.head; i < q.order.length; i++) {
    const record = q.live[q.order[i]]
    if (record === undefined) continue
    if (record.attempts === 0) break
    if (record.nextAt <= now) continue
    if ((silence && record.attempts > 1) || record.sentAt < q.ackedSentAt - OVERTAKEN_S) record.nextAt = now
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
  // Queue order is number order; tidyOrder left the oldest live reading at the head.
  const oldest = q.head < q.order.length ? q.order[q.head] : 0
  for (let i = q.head; i < q.order.length; i++) {
    const record = q.live[q.order[i]]
    if (record === undefined) continue
    if (record.attempts > 0) {
      if (record.nextAt <= now) records.push(record)
      else if (wakeAt === undefined || record.nextAt < wakeAt) wakeAt = record.nextAt
      continue
    }
    if (inFlight >= maxInFlight || record.seq - oldest >= MAX_SPAN) break
    records.push(record)
    inFlight++
  }
  return { records, wakeAt }
}

export function markSent (q: Queue, record: Queued, now: number): void {
  if (record.attempts === 0) q.inFlight++
  if (record.seq > q.sentTop) q.sentTop = record.seq
  record.attempts++
  record.sentAt = now
  const delay = retryDelayS(record.attempts)
  record.nextAt = now + (q.probing && delay > PROBE_RETRY_S ? PROBE_RETRY_S : delay)
}
