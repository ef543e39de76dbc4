// The Lua agent after a lost queue (targets/lua/agent/renumber.ts), run as TypeScript under
// Node over an in-memory queue file with the agent's real crypto: which acknowledgements
// show that its numbering restarted below the node's, how its queued readings are sealed
// again under new numbers in one rewrite, and that an old acknowledgement replayed to it
// makes it skip or lose nothing.
import test from 'ava'
import crypto from 'node:crypto'
import type { Bytes } from '../../targets/lua/agent/bytes.ts'
import { acknowledge, enqueue, openQueue, type Queue } from '../../targets/lua/agent/queue.ts'
import { type Device, sealReadings } from '../../targets/lua/agent/readings.ts'
import { renumber, startProbing, takeAcks } from '../../targets/lua/agent/renumber.ts'
import { dueToSend, markSent } from '../../targets/lua/agent/send-window.ts'
import { fromBytes, toBytes } from '../../targets/lua/agent/text.ts'
import { resealReading, sealReading } from '../../targets/lua/agent/wire.ts'
import { sealAck } from '../helpers/lan-receiver.ts'
import { sodiumOpenReading } from '../helpers/lan-ingest-vectors.ts'
import { memoryStore, newFile, type MemoryFile } from '../helpers/memory-queue.ts'

const randomList = (count: number): Bytes => Array.from(crypto.randomBytes(count))

function newDevice (): Device {
  return { key: randomList(32), deviceId: randomList(8), randomBytes: randomList }
}

function open (file: MemoryFile, maxBytes = 64 * 1024): Queue {
  const opened = openQueue(memoryStore(file), maxBytes)
  if (!opened.ok) throw new TypeError('open failed')
  return opened.queue
}

// Readings "r1", "r2", … on topic meter/t, sealed and queued as the agent does.
function queueReadings (q: Queue, device: Device, count: number, payloadBytes = 4): void {
  const readings = Array.from({ length: count }, (_, i) => ({ topic: 'meter/t', payload: `r${q.nextSeq + i}`.padEnd(payloadBytes, '.'), timeMs: 1_700_000_000_000 + i }))
  const sealed = sealReadings(q, device, readings)
  if (!enqueue(q, sealed.entries).ok) throw new TypeError('enqueue failed')
}

const liveSeqs = (q: Queue): number[] => q.order.slice(q.head).filter((seq) => q.live[seq] !== undefined)

// What each queued datagram opens to with sodium, as the node opens it.
function opened (q: Queue, device: Device): Array<{ seq: number, payload: string, timeMs: number }> {
  return liveSeqs(q).map((seq) => {
    const reading = sodiumOpenReading(Buffer.from(device.key), Buffer.from(toBytes(q.live[seq]!.datagram)))
    if (reading === undefined) throw new TypeError(`seq ${seq} does not open`)
    return { seq: reading.seq, payload: Buffer.from(reading.payload, 'hex').toString(), timeMs: reading.timeMs }
  })
}

function sendDue (q: Queue, now = 0): number[] {
  const due = dueToSend(q, now).records
  for (const record of due) markSent(q, record, now)
  return due.map((r) => r.seq)
}

test('an acknowledgement whose highest is at or above the next number renumbers every queued reading past it, in one rewrite; its list is not believed', (t) => {
  const file = newFile()
  const device = newDevice()
  const q = open(file)
  queueReadings(q, device, 5)
  t.deepEqual(sendDue(q), [1, 2, 3, 4, 5])
  const before = opened(q, device)
  const nonces = liveSeqs(q).map((seq) => q.live[seq]!.datagram.slice(17, 41))
  const replaces = file.replaces

  // The node holds numbers up to 3,000 from this device: 1, 2 and 3 are old readings of its.
  const taken = takeAcks(q, device, [{ highestSeq: 3000, seqs: [1, 2, 3] }])
  t.like(taken, { acked: 0, applied: 0 })
  t.like(taken.renumbered[0], { ok: true, nodeHighest: 3000, oldNextSeq: 6, firstSeq: 3001, nextSeq: 3006, readings: 5, unreadable: 0, dropped: 0 })
  t.is(file.replaces, replaces + 1, 'one rewrite')
  t.deepEqual(opened(q, device), before.map((r, i) => ({ ...r, seq: 3001 + i })), 'the same readings under the new numbers')
  t.true(liveSeqs(q).every((seq, i) => q.live[seq]!.datagram.slice(17, 41) !== nonces[i]), 'a nonce was used again')
  t.like(q, { nextSeq: 3006, inFlight: 0, probing: true, sentTop: 3000 })

  // A restart reads back the new numbers and the next one.
  const again = open(file)
  t.deepEqual(liveSeqs(again), [3001, 3002, 3003, 3004, 3005])
  t.is(again.nextSeq, 3006)
})

test('an agent that queued more readings than the node has: while probing, one goes out, and an answer with a higher highest renumbers', (t) => {
  const device = newDevice()
  const q = open(newFile())
  startProbing(q, 0)
  queueReadings(q, device, 8)
  t.deepEqual(sendDue(q), [1], 'one reading while the numbering is new')
  t.deepEqual(sendDue(q, 0.5), [])
  // The node had 1 to 5 from before the queue was lost: 1 is "stored" there.
  const taken = takeAcks(q, device, [{ highestSeq: 5, seqs: [1] }])
  t.like(taken, { acked: 0 })
  t.like(taken.renumbered[0], { ok: true, oldNextSeq: 9, firstSeq: 9, nextSeq: 17, readings: 8 })
  t.deepEqual(opened(q, device).map((r) => r.payload), ['r1..', 'r2..', 'r3..', 'r4..', 'r5..', 'r6..', 'r7..', 'r8..'])

  // The same acknowledgement without the probe (the node's highest below the next number)
  // would have been taken for the new reading 1, which the node never stored.
  const unprobed = open(newFile())
  queueReadings(unprobed, device, 8)
  sendDue(unprobed)
  t.like(takeAcks(unprobed, device, [{ highestSeq: 5, seqs: [1] }]), { acked: 1, renumbered: [] })
})

test('after renumbering, late answers for the old numbers change nothing; the answer for the first new one ends the probe', (t) => {
  const device = newDevice()
  const q = open(newFile())
  queueReadings(q, device, 5)
  sendDue(q)
  takeAcks(q, device, [{ highestSeq: 3000, seqs: [] }])
  t.deepEqual(sendDue(q), [3001])
  // Answers to the datagrams sent before, under the old numbers.
  t.like(takeAcks(q, device, [{ highestSeq: 3000, seqs: [1, 2] }, { highestSeq: 3000, seqs: [] }]), { acked: 0, renumbered: [] })
  t.true(q.probing)
  t.deepEqual(sendDue(q, 0.5), [])
  t.like(takeAcks(q, device, [{ highestSeq: 3001, seqs: [3001] }]), { acked: 1, renumbered: [] })
  t.false(q.probing)
  t.deepEqual(sendDue(q, 0.6), [3002, 3003, 3004, 3005])
})

test('an old acknowledgement replayed to an agent with its queue changes nothing, an empty one or one naming old numbers', (t) => {
  const file = newFile()
  const device = newDevice()
  const q = open(file)
  queueReadings(q, device, 40)
  sendDue(q)
  acknowledge(q, Array.from({ length: 20 }, (_, i) => i + 1))
  const text = file.text
  // Captured earlier: the node's highest then was below this agent's next number.
  const taken = takeAcks(q, device, [{ highestSeq: 15, seqs: [] }, { highestSeq: 20, seqs: [3, 4, 5] }, { highestSeq: 40, seqs: [] }])
  t.like(taken, { acked: 0, renumbered: [] })
  t.deepEqual(liveSeqs(q), Array.from({ length: 20 }, (_, i) => i + 21))
  t.is(q.nextSeq, 41)
  t.is(file.text, text, 'the queue file was written')
})

test('a renumbering that cannot be written changes nothing and is done with the next such acknowledgement', (t) => {
  const file = newFile()
  const device = newDevice()
  const q = open(file)
  queueReadings(q, device, 3)
  const text = file.text
  file.failWrites = true
  const [failed] = takeAcks(q, device, [{ highestSeq: 500, seqs: [] }]).renumbered
  t.like(failed, { ok: false, reason: 'the queue could not be rewritten' })
  t.deepEqual(liveSeqs(q), [1, 2, 3])
  t.like(q, { nextSeq: 4, probing: false })
  t.is(file.text, text)
  // The file is the old one whole, as after a crash before the rename.
  t.deepEqual(liveSeqs(open(newFile(file.text))), [1, 2, 3])
  file.failWrites = false
  t.like(takeAcks(q, device, [{ highestSeq: 500, seqs: [] }]).renumbered[0], { ok: true, firstSeq: 501, nextSeq: 504 })
  t.deepEqual(liveSeqs(open(newFile(file.text))), [501, 502, 503])
})

test('without random bytes for the nonces nothing is renumbered; a queued reading that does not open is left out and counted', (t) => {
  const device = newDevice()
  const q = open(newFile())
  queueReadings(q, device, 3)
  t.like(renumber(q, { ...device, randomBytes: () => undefined }, 100), { ok: false, reason: 'no random bytes for a nonce' })
  t.deepEqual(liveSeqs(q), [1, 2, 3])
  // A reading sealed with another key (one the config had before).
  const other = sealReading(randomList(32), device.deviceId, { seq: 4, timeMs: 1, topic: toBytes('meter/t'), payload: toBytes('x') }, randomList)
  if (!other.ok) return t.fail(other.refusal)
  enqueue(q, [{ seq: 4, datagram: fromBytes(other.datagram) }])
  t.like(renumber(q, device, 100), { ok: true, firstSeq: 101, nextSeq: 104, readings: 3, unreadable: 1 })
  t.deepEqual(opened(q, device).map((r) => [r.seq, r.payload]), [[101, 'r1..'], [102, 'r2..'], [103, 'r3..']])
})

test('longer numbers that take a full queue past its bound drop the oldest', (t) => {
  const file = newFile()
  const device = newDevice()
  const maxBytes = 16 * 1024
  const q = open(file, maxBytes)
  while (q.fileBytes + 200 < maxBytes) queueReadings(q, device, 1, 100)
  const count = liveSeqs(q).length
  const result = renumber(q, device, 2 ** 40)
  t.true(result.ok)
  t.true(result.dropped > 0)
  t.is(result.readings + result.dropped, count)
  t.true(file.text!.length <= maxBytes, `${file.text!.length} bytes`)
  t.deepEqual(liveSeqs(q), Array.from({ length: result.readings }, (_, i) => 2 ** 40 + 1 + result.dropped + i), 'the survivors are not the newest')
})

test('a queued reading sealed again keeps its record under the new number; only this device\'s readings under its key are taken', (t) => {
  const device = newDevice()
  const reading = { seq: 7, timeMs: 1_700_000_000_123, topic: toBytes('meter/kitchen'), payload: toBytes('21.5') }
  const sealed = sealReading(device.key, device.deviceId, reading, randomList)
  if (!sealed.ok) return t.fail(sealed.refusal)
  const again = resealReading(device.key, device.deviceId, sealed.datagram, 4097, randomList)
  if (!again.ok) return t.fail(again.refusal)
  t.deepEqual(sodiumOpenReading(Buffer.from(device.key), Buffer.from(again.datagram)), {
    deviceId: Buffer.from(device.deviceId).toString('hex'), seq: 4097, timeMs: reading.timeMs, topic: Buffer.from('meter/kitchen').toString('hex'), payload: Buffer.from('21.5').toString('hex')
  })
  t.deepEqual(resealReading(randomList(32), device.deviceId, sealed.datagram, 4097, randomList), { ok: false, refusal: 'BAD_TAG' })
  t.deepEqual(resealReading(device.key, randomList(8), sealed.datagram, 4097, randomList), { ok: false, refusal: 'OTHER_DEVICE' })
  const ack = Array.from(sealAck(Buffer.from(device.key), Buffer.from(device.deviceId), 7, [1, 2, 3, 4, 5, 6]))
  t.deepEqual(resealReading(device.key, device.deviceId, ack, 4097, randomList), { ok: false, refusal: 'BAD_TAG' })
  t.deepEqual(resealReading(device.key, device.deviceId, sealed.datagram, 0, randomList), { ok: false, refusal: 'BAD_SEQ' })
})
