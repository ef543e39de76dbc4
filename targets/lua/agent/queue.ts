// The agent's disk queue: sealed reading datagrams kept on flash until the node
// acknowledges them, in one append-only file of bounded size (docs/decisions/lan-ingest-wire.md,
// "What the agent does"). The format, one entry after another:
//
//   roost-agent-queue 1 NEXT_SEQ\n      the header, written only when the file is rewritten
//   r SEQ LENGTH\nDATAGRAM\n             a reading, sealed once, sent as it is every time
//   a SEQ SEQ ...\n                      readings acknowledged (or dropped): gone from the queue
//
// Appends only, except the rare rewrite (compaction) to a new file renamed over the old
// one: when the dead part (acknowledged readings and ack lines) passes half of a file of a
// quarter of the bound or more, and when a reading would not fit. A torn last entry
// (the agent died while appending) is cut off at start. The next sequence number is the
// header's or one past the last reading's, so no number is ever handed out twice. The
// one change to what is queued besides appends and acknowledgements, renumbering after a
// lost queue (renumber.ts), is a rewrite too: a crash leaves the readings under their
// old numbers or under their new ones, never some of each.
//
// The file access is a QueueStore, so the same code runs on flash under Lua and in memory
// in test/unit/lua-agent-queue.test.ts.
import { parseWhole } from './text.ts'

// Type aliases rather than interface methods: tstl would give those a Lua `self`.
export type ReadAll = () => string | undefined
export type AppendText = (text: string) => boolean
export type ReplaceAll = (text: string) => boolean

export interface QueueStore {
  // The file's bytes, undefined when there is no file yet.
  read: ReadAll
  append: AppendText
  // Writes a new file and renames it over the old one.
  replace: ReplaceAll
}

export interface Queued {
  seq: number
  datagram: string
  diskBytes: number
  // Sends since the agent started; 0 = not sent yet.
  attempts: number
  // When it is sent again unless acknowledged (the caller's clock, seconds).
  nextAt: number
  // When it was last sent (the caller's clock, seconds; 0 = not sent yet).
  sentAt: number
}

export interface Queue {
  store: QueueStore
  maxBytes: number
  nextSeq: number
  live: { [seq: number]: Queued | undefined }
  // Sequence numbers in queue order from `head` on, some of them no longer live (`holes`).
  order: number[]
  head: number
  holes: number
  liveCount: number
  liveBytes: number
  fileBytes: number
  headerBytes: number
  // Sent and not acknowledged: all of them less than MAX_SPAN past the oldest live reading
  // (send-window.ts).
  inFlight: number
  lastAckAt: number
  // The latest send of a reading acknowledged so far: one sent well before it and still
  // not acknowledged was lost on the way (send-window.ts).
  ackedSentAt: number
  // While the numbering is new (renumber.ts), one reading at a time is sent, and sentTop
  // is the highest number sent since.
  probing: boolean
  sentTop: number
}

export interface Entry {
  seq: number
  datagram: string
}

const MAGIC = 'roost-agent-queue'

function headerText (nextSeq: number): string {
  return `${MAGIC} 1 ${nextSeq}\n`
}

function recordText (entry: Entry): string {
  return `r ${entry.seq} ${entry.datagram.length}\n${entry.datagram}\n`
}

function fieldsOf (line: string): string[] {
  const out: string[] = []
  let start = 0
  while (true) {
    const space = line.indexOf(' ', start)
    if (space < 0) {
      out.push(line.substring(start, line.length))
      return out
    }
    out.push(line.substring(start, space))
    start = space + 1
  }
}

function addLive (q: Queue, entry: Entry, diskBytes: number): void {
  q.live[entry.seq] = { seq: entry.seq, datagram: entry.datagram, diskBytes, attempts: 0, nextAt: 0, sentAt: 0 }
  q.order.push(entry.seq)
  q.liveCount++
  q.liveBytes += diskBytes
  if (entry.seq >= q.nextSeq) q.nextSeq = entry.seq + 1
}

function remove (q: Queue, seq: number): boolean {
  const record = q.live[seq]
  if (record === undefined) return false
  q.live[seq] = undefined
  q.liveCount--
  q.liveBytes -= record.diskBytes
  q.holes++
  if (record.attempts > 0) q.inFlight--
  return true
}

function skipDeadHead (q: Queue): void {
  while (q.head < q.order.length && q.live[q.order[q.head]] === undefined) {
    q.head++
    q.holes--
  }
}

function liveOrder (q: Queue): number[] {
  const order: number[] = []
  for (let i = q.head; i < q.order.length; i++) {
    if (q.live[q.order[i]] !== undefined) order.push(q.order[i])
  }
  return order
}

// Rewrites the file with only the live readings; false (and the old file kept) when the
// write fails.
export function compact (q: Queue): boolean {
  const order = liveOrder(q)
  const header = headerText(q.nextSeq)
  const parts = [header]
  for (let i = 0; i < order.length; i++) parts.push(recordText(q.live[order[i]] as Queued))
  const text = parts.join('')
  if (!q.store.replace(text)) return false
  q.order = order
  q.head = 0
  q.holes = 0
  q.fileBytes = text.length
  q.headerBytes = header.length
  return true
}

// Moves `head` past dead entries and rebuilds `order` once holes outnumber the live
// readings, so that walking it from `head` stays short.
export function tidyOrder (q: Queue): void {
  skipDeadHead(q)
  if (q.holes > 64 + q.liveCount) {
    q.order = liveOrder(q)
    q.head = 0
    q.holes = 0
  }
}

function dropOldest (q: Queue): void {
  skipDeadHead(q)
  remove(q, q.order[q.head])
}

// Makes room for `bytes` more: the number of oldest readings dropped, or -1 when the
// file could not be rewritten. A full queue drops down to three quarters of the bound, so
// that a queue that stays full (the node away for days) is rewritten once per quarter of
// new readings, not once per reading.
function makeRoom (q: Queue, bytes: number): number {
  if (q.fileBytes + bytes <= q.maxBytes) return 0
  let dropped = 0
  // The header may grow by a digit or two before the rewrite.
  const header = headerText(q.nextSeq).length + 2
  if (header + q.liveBytes + bytes > q.maxBytes) {
    const target = Math.floor((q.maxBytes - header) * 3 / 4) - bytes
    while (q.liveCount > 0 && q.liveBytes > target) {
      dropOldest(q)
      dropped++
    }
  }
  return compact(q) ? dropped : -1
}

export function newQueue (store: QueueStore, maxBytes: number): Queue {
  return {
    store, maxBytes, nextSeq: 1, live: {}, order: [], head: 0, holes: 0, liveCount: 0, liveBytes: 0, fileBytes: 0, headerBytes: 0, inFlight: 0, lastAckAt: 0,
    ackedSentAt: 0, probing: false, sentTop: 0
  }
}

export interface OpenResult {
  queue: Queue
  // False when the file could not be written: the agent cannot keep readings.
  ok: boolean
  // Bytes of a torn or unreadable end cut off; readings dropped to fit a smaller bound.
  cutBytes: number
  dropped: number
  // No queue was there (or none that could be read): numbering starts at 1 here, which
  // the node may already have had from this device (renumber.ts).
  fresh: boolean
}

// Reads the entries after the header; returns where the last whole one ends.
function load (q: Queue, text: string, at: number): number {
  while (at < text.length) {
    const lineEnd = text.indexOf('\n', at)
    if (lineEnd < 0) return at
    const fields = fieldsOf(text.substring(at, lineEnd))
    if (fields[0] === 'r' && fields.length === 3) {
      const seq = parseWhole(fields[1])
      const length = parseWhole(fields[2])
      const end = lineEnd + 1 + (length ?? 0)
      if (seq === undefined || seq < 1 || length === undefined || end >= text.length || text.charCodeAt(end) !== 10) return at
      if (q.live[seq] === undefined) addLive(q, { seq, datagram: text.substring(lineEnd + 1, end) }, end + 1 - at)
      at = end + 1
    } else if (fields[0] === 'a' && fields.length >= 2) {
      for (let i = 1; i < fields.length; i++) {
        const seq = parseWhole(fields[i])
        if (seq === undefined) return at
        remove(q, seq)
      }
      at = lineEnd + 1
    } else {
      return at
    }
  }
  return at
}

export function openQueue (store: QueueStore, maxBytes: number): OpenResult {
  const q = newQueue(store, maxBytes)
  const text = store.read()
  if (text === undefined) return { queue: q, ok: compact(q), cutBytes: 0, dropped: 0, fresh: true }
  const headerEnd = text.indexOf('\n')
  const header = fieldsOf(text.substring(0, headerEnd < 0 ? 0 : headerEnd))
  const headerSeq = header.length === 3 && header[0] === MAGIC && header[1] === '1' ? parseWhole(header[2]) : undefined
  // Only flash that lost what it held gets here (the header is only ever renamed into
  // place whole): start afresh rather than not at all.
  if (headerSeq === undefined) return { queue: q, ok: compact(q), cutBytes: text.length, dropped: 0, fresh: true }
  q.nextSeq = headerSeq
  q.headerBytes = headerEnd + 1
  const end = load(q, text, headerEnd + 1)
  q.fileBytes = end
  // A bound made smaller since drops the oldest; a cut-off end is rewritten away at once,
  // so that the next append starts on a whole entry.
  let dropped = 0
  let ok = true
  if (q.fileBytes > maxBytes) {
    dropped = makeRoom(q, 0)
    ok = dropped >= 0
  } else if (end < text.length) {
    ok = compact(q)
  }
  return { queue: q, ok, cutBytes: text.length - end, dropped: Math.max(dropped, 0), fresh: false }
}

export function takeSeq (q: Queue): number {
  const seq = q.nextSeq
  q.nextSeq = seq + 1
  return seq
}

export interface EnqueueResult {
  // False when the queue could not be written: the readings not taken are not queued.
  ok: boolean
  queued: number
  dropped: number
}

function appendGroup (q: Queue, group: Entry[], result: EnqueueResult): void {
  const texts: string[] = []
  for (let i = 0; i < group.length; i++) texts.push(recordText(group[i]))
  const text = texts.join('')
  const dropped = makeRoom(q, text.length)
  if (dropped < 0 || !q.store.append(text)) {
    result.ok = false
    return
  }
  result.dropped += dropped
  result.queued += group.length
  q.fileBytes += text.length
  for (let i = 0; i < group.length; i++) addLive(q, group[i], texts[i].length)
}

// Appends the readings in as few writes as the bound allows (groups of at most a quarter
// of it, so that dropping for one group never drops another of the same call).
export function enqueue (q: Queue, entries: Entry[]): EnqueueResult {
  const result: EnqueueResult = { ok: true, queued: 0, dropped: 0 }
  let group: Entry[] = []
  let groupBytes = 0
  for (let i = 0; i < entries.length && result.ok; i++) {
    const bytes = recordText(entries[i]).length
    if (group.length > 0 && groupBytes + bytes > q.maxBytes / 4) {
      appendGroup(q, group, result)
      group = []
      groupBytes = 0
    }
    group.push(entries[i])
    groupBytes += bytes
  }
  if (group.length > 0 && result.ok) appendGroup(q, group, result)
  return result
}

// Removes what an acknowledgement names and notes it on flash; returns how many were
// still queued.
export function acknowledge (q: Queue, seqs: number[]): number {
  const removed: number[] = []
  for (let i = 0; i < seqs.length; i++) {
    const record = q.live[seqs[i]]
    if (record !== undefined && record.sentAt > q.ackedSentAt) q.ackedSentAt = record.sentAt
    if (remove(q, seqs[i])) removed.push(seqs[i])
  }
  if (removed.length === 0) return 0
  const line = `a ${removed.join(' ')}\n`
  const dead = q.fileBytes - q.headerBytes - q.liveBytes
  if (q.fileBytes + line.length > q.maxBytes || (dead * 2 > q.fileBytes && q.fileBytes >= q.maxBytes / 4)) {
    compact(q)
  } else if (q.store.append(line)) {
    q.fileBytes += line.length
  }
  return removed.length
}

// The live readings, oldest first.
export function queuedReadings (q: Queue): Queued[] {
  const order = liveOrder(q)
  const out: Queued[] = []
  for (let i = 0; i < order.length; i++) out.push(q.live[order[i]] as Queued)
  return out
}

// Replaces every queued reading with `entries` (in their order, none sent yet) and the next
// number with `nextSeq`, in one rewrite. Longer numbers make longer entries: should they
// take the file past its bound, the oldest are dropped. Returns how many were dropped, or
// -1 when the rewrite failed (and nothing changed).
export function replaceReadings (q: Queue, entries: Entry[], nextSeq: number): number {
  const header = headerText(nextSeq)
  const texts: string[] = []
  let bytes = header.length
  for (let i = 0; i < entries.length; i++) {
    texts.push(recordText(entries[i]))
    bytes += texts[i].length
  }
  let first = 0
  while (bytes > q.maxBytes && first < entries.length) {
    bytes -= texts[first].length
    first++
  }
  const parts = [header]
  for (let i = first; i < entries.length; i++) parts.push(texts[i])
  const text = parts.join('')
  if (!q.store.replace(text)) return -1
  q.live = {}
  q.order = []
  q.head = 0
  q.holes = 0
  q.liveCount = 0
  q.liveBytes = 0
  q.inFlight = 0
  q.nextSeq = nextSeq
  for (let i = first; i < entries.length; i++) addLive(q, entries[i], texts[i].length)
  q.fileBytes = text.length
  q.headerBytes = header.length
  return first
}
