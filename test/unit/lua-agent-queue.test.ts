// The Lua agent's disk queue (targets/lua/agent/queue.ts) run as TypeScript under Node
// over an in-memory file: what a restart reads back, torn ends, the size bound, dropping
// the oldest, rare rewrites, and what is sent when.
import test from 'ava'
import { acknowledge as removeAcked, enqueue, openQueue, takeSeq, type Entry, type Queue } from '../../targets/lua/agent/queue.ts'
import { BELOW } from '../../node/lan/window.ts'
import { dueToSend, markSent, MAX_IN_FLIGHT, MAX_RETRY_S, MAX_SPAN, noteAck, retryDelayS } from '../../targets/lua/agent/send-window.ts'
import { memoryStore, newFile, type MemoryFile } from '../helpers/memory-queue.ts'

// As the agent's loop does with what an acknowledgement datagram names.
function acknowledge (q: Queue, seqs: number[], now: number): number {
  const removed = removeAcked(q, seqs)
  noteAck(q, now)
  return removed
}

// A stand-in for a sealed datagram of `size` bytes: binary, with newlines and entry-like
// text inside, as ciphertext may have.
function datagram (seq: number, size = 80): string {
  const head = `<${seq}>\nr 1 2\na 3\n\x00\xff`
  return head + 'x'.repeat(Math.max(0, size - head.length))
}

function add (q: Queue, count: number, size = 80): Entry[] {
  const entries: Entry[] = []
  for (let i = 0; i < count; i++) {
    const seq = takeSeq(q)
    entries.push({ seq, datagram: datagram(seq, size) })
  }
  const result = enqueue(q, entries)
  if (!result.ok) throw new TypeError('enqueue failed')
  return entries
}

function liveSeqs (q: Queue): number[] {
  return q.order.slice(q.head).filter((seq) => q.live[seq] !== undefined)
}

function reopen (file: MemoryFile, maxBytes = 64 * 1024): Queue {
  const opened = openQueue(memoryStore(file), maxBytes)
  if (!opened.ok) throw new TypeError('open failed')
  return opened.queue
}

test('a new queue starts at sequence 1; a restart reads back every reading not acknowledged and the next number', (t) => {
  const file = newFile()
  const q = reopen(file)
  t.is(q.nextSeq, 1)
  t.is(file.text, 'roost-agent-queue 1 1\n')
  add(q, 5)
  acknowledge(q, [2, 4], 0)
  const again = reopen(file)
  t.deepEqual(liveSeqs(again), [1, 3, 5])
  t.is(again.live[3]?.datagram, datagram(3))
  t.is(again.nextSeq, 6)
  t.is(again.fileBytes, file.text!.length)
})

test('no sequence number is handed out twice, even after everything was acknowledged and the file rewritten', (t) => {
  const file = newFile()
  let q = reopen(file, 16 * 1024)
  const used = new Set<number>()
  for (let round = 0; round < 30; round++) {
    for (const entry of add(q, 7)) {
      t.false(used.has(entry.seq), `seq ${entry.seq} again`)
      used.add(entry.seq)
    }
    acknowledge(q, liveSeqs(q), round)
    q = reopen(file, 16 * 1024)
  }
  t.true(file.replaces > 1, 'the file was never rewritten')
  t.is(q.nextSeq, 211)
  t.deepEqual(liveSeqs(q), [])
})

test('a torn last entry is cut off at start and the file rewritten, wherever the agent died in the append', (t) => {
  const file = newFile()
  const q = reopen(file)
  add(q, 3)
  acknowledge(q, [1], 0)
  const whole = file.text!
  add(q, 1)
  const withFourth = file.text!
  for (let cut = whole.length + 1; cut < withFourth.length; cut++) {
    const torn = newFile(withFourth.slice(0, cut))
    const opened = openQueue(memoryStore(torn), 64 * 1024)
    t.true(opened.ok)
    t.is(opened.cutBytes, cut - whole.length, `cut at ${cut}`)
    t.deepEqual(liveSeqs(opened.queue), [2, 3], `cut at ${cut}`)
    t.is(torn.replaces, 1, 'the torn file was not rewritten')
    // The torn reading was never sent: its number may be handed out again, no other.
    t.is(opened.queue.nextSeq, 4)
  }
})

test('a torn acknowledgement line leaves those readings queued: they are sent again, never lost', (t) => {
  const file = newFile()
  const q = reopen(file)
  add(q, 3)
  const before = file.text!
  acknowledge(q, [1, 2], 0)
  const torn = newFile(file.text!.slice(0, before.length + 3))
  t.deepEqual(liveSeqs(reopen(torn)), [1, 2, 3])
})

test('a full queue drops the oldest readings, counts them, and the file never passes its bound', (t) => {
  const file = newFile()
  const maxBytes = 16 * 1024
  const q = reopen(file, maxBytes)
  let dropped = 0
  let newest = 0
  for (let i = 0; i < 100; i++) {
    const seq = takeSeq(q)
    newest = seq
    const result = enqueue(q, [{ seq, datagram: datagram(seq, 500) }])
    t.true(result.ok)
    dropped += result.dropped
  }
  t.true(dropped > 0)
  t.true(file.largest <= maxBytes, `the file reached ${file.largest} bytes`)
  const live = liveSeqs(q)
  t.is(live.length + dropped, 100)
  t.deepEqual(live, Array.from({ length: live.length }, (_, i) => newest - live.length + 1 + i), 'the survivors are not the newest')
  t.deepEqual(liveSeqs(reopen(file, maxBytes)), live)
  // Dropping goes down to three quarters of the bound: rewrites stay rare while full.
  t.true(file.replaces <= 12, `${file.replaces} rewrites for 100 readings`)
})

test('with the node acknowledging, the file is rewritten only once a quarter of the bound has gone by', (t) => {
  const file = newFile()
  const maxBytes = 64 * 1024
  const q = reopen(file, maxBytes)
  for (let i = 0; i < 2000; i++) {
    const [entry] = add(q, 1, 200)
    acknowledge(q, [entry.seq], i)
  }
  t.true(file.largest <= maxBytes)
  t.true(file.replaces <= Math.ceil(file.appendedBytes / (maxBytes / 4)) + 1, `${file.replaces} rewrites for ${file.appendedBytes} bytes appended`)
  t.true(file.replaces >= 2)
  t.true(file.appends >= 3900, 'acknowledgements and readings are appends')
})

test('a smaller bound at start drops the oldest to fit', (t) => {
  const file = newFile()
  add(reopen(file, 64 * 1024), 100, 500)
  const opened = openQueue(memoryStore(file), 16 * 1024)
  t.true(opened.ok)
  t.true(opened.dropped > 60)
  t.true(file.text!.length <= 16 * 1024)
  t.is(liveSeqs(opened.queue).at(-1), 100)
})

test('a queue that cannot be written takes nothing, and a failed rewrite keeps the old file', (t) => {
  const file = newFile()
  const q = reopen(file, 16 * 1024)
  add(q, 3)
  file.failWrites = true
  const seq = takeSeq(q)
  t.deepEqual(enqueue(q, [{ seq, datagram: datagram(seq) }]), { ok: false, queued: 0, dropped: 0 })
  t.deepEqual(liveSeqs(q), [1, 2, 3])
  const before = file.text
  acknowledge(q, [1, 2, 3], 0)
  t.is(file.text, before)
  file.failWrites = false
  t.deepEqual(liveSeqs(reopen(file)), [1, 2, 3], 'what the file holds is sent again after a restart')
})

test('at most 32 readings are in flight, oldest first; the rest wait for acknowledgements', (t) => {
  const q = reopen(newFile())
  add(q, 40)
  const first = dueToSend(q, 100)
  t.deepEqual(first.records.map((r) => r.seq), Array.from({ length: MAX_IN_FLIGHT }, (_, i) => i + 1))
  for (const record of first.records) markSent(q, record, 100)
  t.is(q.inFlight, MAX_IN_FLIGHT)
  t.deepEqual(dueToSend(q, 100.5), { records: [], wakeAt: 101 })
  acknowledge(q, [5, 6, 7], 100.5)
  t.deepEqual(dueToSend(q, 100.5).records.map((r) => r.seq), [33, 34, 35])
})

test('a reading is sent again after 1, 2, 4 … seconds, at most a minute apart, until acknowledged', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 20].map(retryDelayS), [1, 2, 4, 8, 16, 32, 60, 60, 60])
  const q = reopen(newFile())
  add(q, 1)
  const sentAt: number[] = []
  for (let now = 0; now < 200; now += 0.25) {
    for (const record of dueToSend(q, now).records) {
      sentAt.push(now)
      markSent(q, record, now)
    }
  }
  t.deepEqual(sentAt.slice(0, 8), [0, 1, 3, 7, 15, 31, 63, 123])
  t.true(sentAt.every((at, i) => i === 0 || at - sentAt[i - 1] <= MAX_RETRY_S))
  acknowledge(q, [1], 200)
  t.deepEqual(dueToSend(q, 1000).records, [])
})

test('an acknowledgement after a silence sends the readings that were backing off again at once', (t) => {
  const q = reopen(newFile())
  add(q, 3)
  for (const record of dueToSend(q, 0).records) markSent(q, record, 0)
  for (let now = 1; now <= 32; now *= 2) for (const record of dueToSend(q, now).records) markSent(q, record, now)
  t.true((q.live[2]?.nextAt ?? 0) > 40)
  acknowledge(q, [1], 40)
  t.deepEqual(dueToSend(q, 40).records.map((r) => r.seq), [2, 3])
})

test('a reading the node never answers holds back every reading MAX_SPAN past it, so its retransmission stays inside the node\'s window', (t) => {
  t.true(MAX_SPAN * 2 <= BELOW, 'the node\'s window has room for the span twice over')
  const q = reopen(newFile(), 1024 * 1024)
  add(q, MAX_SPAN + 200)
  let top = 0
  // The node stores and acknowledges everything but reading 1, whose datagrams are all lost.
  for (let now = 0; now < 120; now += 0.1) {
    const sent = dueToSend(q, now).records
    for (const record of sent) markSent(q, record, now)
    for (const record of sent) top = Math.max(top, record.seq)
    acknowledge(q, sent.map((r) => r.seq).filter((seq) => seq !== 1), now)
  }
  t.is(top, MAX_SPAN, 'sent up to the span and no further')
  t.deepEqual(liveSeqs(q).slice(0, 2), [1, MAX_SPAN + 1])
  acknowledge(q, [1], 120)
  t.is(dueToSend(q, 120).records[0]?.seq, MAX_SPAN + 1, 'sending goes on once it is acknowledged')
})

test('a reading still unacknowledged a second after a later-sent one was acknowledged is sent again at once, not after its backoff', (t) => {
  const lostOnce = (laterSentAt: number): Queue => {
    const q = reopen(newFile())
    add(q, 1)
    for (const now of [0, 1, 3]) for (const record of dueToSend(q, now).records) markSent(q, record, now)
    t.is(q.live[1]?.nextAt, 7, 'reading 1 backs off until 7')
    add(q, 1)
    for (const record of dueToSend(q, laterSentAt).records) markSent(q, record, laterSentAt)
    acknowledge(q, [2], laterSentAt + 0.1)
    return q
  }
  t.deepEqual(dueToSend(lostOnce(4.5), 4.6).records.map((r) => r.seq), [1], 'sent 1.5 s before an acknowledged one: lost')
  t.deepEqual(dueToSend(lostOnce(3.5), 3.6).records, [], 'sent 0.5 s before: its acknowledgement may be on the way')
})
