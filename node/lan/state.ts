// What lan-ingest remembers across restarts, in lan-ingest/ of the data folder: each
// device's window (window.ts) and the readings whose append was under way.
//
// A feed record does not say which device sent it (the bridge's record format has a
// topic and a packet id, here the sequence number, and two agents may well send the
// same topic), so the windows cannot be read back from the feeds alone. Instead every
// reading is written to a journal before its append ("intent": device, sequence, a hash
// of topic and payload) and again once appended ("done", before it is acknowledged).
// At start the journal is replayed over the last snapshot; an intent without its done
// mark is looked for among the feeds' most recent records (the crash came between the
// append and the mark), and the feeds found holding it are remembered: its
// retransmission is then acknowledged, or appended only to the feeds that lack it,
// never stored twice. Both files are written without fsync, like the feeds themselves:
// a killed process loses nothing, a power cut may. Why: docs/decisions/lan-ingest-node.md.
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import { decodeReading } from '../bridge/record.ts'
import { newestRecords } from '../feeds/block.ts'
import { NodeError } from '../errors.ts'
import type { Feeds } from '../feeds/feeds.ts'
import { createWindow, type SavedWindow, type Window } from './window.ts'

export const STATE_DIR = 'lan-ingest'
const SNAPSHOT_FILE = 'windows.json'
const JOURNAL_FILE = 'journal'
// Kind, device id, sequence number, hash.
const ENTRY_BYTES = 1 + 8 + 8 + 16
const INTENT = 1
const DONE = 2
// The journal is folded into the snapshot at this size (about 16,000 readings): a
// rename a second at the node's full rate, and a start replays it in milliseconds.
const COMPACT_BYTES = 1024 * 1024
// Records appended after one whose done mark a crash cut off: the readings the role and
// the bridge had in flight (ingest.ts MAX_UNSTORED, intake.ts MAX_UNSETTLED_READINGS).
export const RECENT_RECORDS = 4096

export interface Intent { deviceId: string, sequence: number, hash: string }

interface Unconfirmed extends Intent {
  // The feeds found holding it after a crash; null until they have been looked at.
  feeds: string[] | null
}

export interface LanState {
  // Readings found in the feeds at start whose done mark a crash cut off.
  readonly recovered: number
  window (deviceId: string): Window
  // After a crash: the feeds that already hold this reading, or null for none.
  heldBy (deviceId: string, sequence: number, hash: string): string[] | null
  // Written before the readings are appended. An intent whose append fails stays until
  // the reading is stored (its agent sends it again) or, at the next start, is found in
  // no feed.
  intend (intents: readonly Intent[]): void
  // Written once they are appended, before they are acknowledged.
  stored (readings: ReadonlyArray<{ deviceId: string, sequence: number }>): void
  close (): void
}

// Hex of the first 16 bytes of blake2b(topic, 0, payload): a topic holds no NUL.
export function readingHash (topic: string, payload: Uint8Array): string {
  return b4a.toString(crypto.hash([b4a.from(topic), b4a.alloc(1), payload]), 'hex').slice(0, 32)
}

const keyOf = (deviceId: string, sequence: number): string => `${deviceId}:${sequence}`

export async function loadLanState (dataDir: string, feeds: Feeds, feedNames: string[]): Promise<LanState> {
  const dir = path.join(dataDir, STATE_DIR)
  fs.mkdirSync(dir, { recursive: true })
  const snapshotFile = path.join(dir, SNAPSHOT_FILE)
  const journalFile = path.join(dir, JOURNAL_FILE)
  const windows = new Map<string, Window>()
  const unconfirmed = new Map<string, Unconfirmed>()

  const window = (deviceId: string): Window => {
    let w = windows.get(deviceId)
    if (w === undefined) windows.set(deviceId, w = createWindow())
    return w
  }

  const snapshot = readSnapshot(snapshotFile)
  for (const [id, saved] of Object.entries(snapshot.windows)) windows.set(id, createWindow(saved))
  for (const u of snapshot.unconfirmed) unconfirmed.set(keyOf(u.deviceId, u.sequence), u)
  replayJournal(journalFile, (kind, intent) => {
    const key = keyOf(intent.deviceId, intent.sequence)
    if (kind === DONE) {
      window(intent.deviceId).mark(intent.sequence)
      unconfirmed.delete(key)
    } else {
      // Appended again after a crash, maybe to more feeds: look at them all again.
      unconfirmed.set(key, { ...intent, feeds: null })
    }
  })
  const unchecked = [...unconfirmed.values()].filter((u) => u.feeds === null)
  if (unchecked.length > 0) await findInFeeds(unchecked, feeds, feedNames)
  for (const [key, u] of unconfirmed) {
    // Not appended anywhere: the retransmission is a new reading. Fallen out of the
    // window: its retransmission is dropped as too old whatever is remembered.
    if (u.feeds!.length === 0 || window(u.deviceId).place(u.sequence) === 'too-old') unconfirmed.delete(key)
  }

  // Intents written since the start and not yet done: a snapshot keeps them, as the
  // journal it replaces did, for a start after a crash to look for in the feeds.
  const inFlight = new Map<string, Intent>()
  let journalBytes = 0
  let fd = -1
  function compact (): void {
    const body = {
      version: 1,
      windows: Object.fromEntries([...windows].map(([id, w]) => [id, w.save()])),
      unconfirmed: [...unconfirmed.values(), ...[...inFlight.values()].map((i) => ({ ...i, feeds: null }))]
    }
    const tmp = `${snapshotFile}.tmp`
    fs.writeFileSync(tmp, JSON.stringify(body))
    fs.renameSync(tmp, snapshotFile)
    // A crash before this truncation replays entries the snapshot has: they change nothing.
    if (fd !== -1) fs.closeSync(fd)
    fd = fs.openSync(journalFile, 'w')
    journalBytes = 0
  }
  compact()

  function write (entries: ReadonlyArray<{ kind: number, deviceId: string, sequence: number, hash?: string }>): void {
    const out = b4a.alloc(entries.length * ENTRY_BYTES)
    entries.forEach((e, i) => {
      const at = i * ENTRY_BYTES
      out[at] = e.kind
      out.set(b4a.from(e.deviceId, 'hex'), at + 1)
      const view = new DataView(out.buffer, out.byteOffset + at + 9, 8)
      view.setUint32(0, Math.floor(e.sequence / 0x1_0000_0000))
      view.setUint32(4, e.sequence % 0x1_0000_0000)
      if (e.hash !== undefined) out.set(b4a.from(e.hash, 'hex'), at + 17)
    })
    fs.writeSync(fd, out)
    journalBytes += out.byteLength
  }

  return {
    recovered: unconfirmed.size,
    window,
    heldBy (deviceId, sequence, hash) {
      const u = unconfirmed.get(keyOf(deviceId, sequence))
      return u !== undefined && u.hash === hash ? u.feeds : null
    },
    intend (intents) {
      write(intents.map((i) => ({ kind: INTENT, ...i })))
      for (const i of intents) inFlight.set(keyOf(i.deviceId, i.sequence), i)
    },
    stored (readings) {
      for (const r of readings) {
        window(r.deviceId).mark(r.sequence)
        unconfirmed.delete(keyOf(r.deviceId, r.sequence))
        inFlight.delete(keyOf(r.deviceId, r.sequence))
      }
      write(readings.map((r) => ({ kind: DONE, ...r })))
      if (journalBytes >= COMPACT_BYTES) compact()
    },
    close () {
      if (fd === -1) return
      compact()
      fs.closeSync(fd)
      fd = -1
    }
  }
}

interface Snapshot { windows: Record<string, SavedWindow>, unconfirmed: Unconfirmed[] }

function readSnapshot (file: string): Snapshot {
  let text: string
  try {
    text = b4a.toString(fs.readFileSync(file))
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return { windows: {}, unconfirmed: [] }
    throw err
  }
  // Written whole by rename: a file that does not parse was damaged after the fact,
  // and starting from nothing could store retransmissions twice. Refuse loudly instead.
  let parsed: Snapshot & { version: number }
  try {
    parsed = JSON.parse(text) as Snapshot & { version: number }
  } catch {
    throw NodeError.LAN_STATE_CORRUPT(file, 'not readable JSON')
  }
  if (parsed?.version !== 1) throw NodeError.LAN_STATE_CORRUPT(file, 'expected version 1')
  return { windows: parsed.windows ?? {}, unconfirmed: parsed.unconfirmed ?? [] }
}

function replayJournal (file: string, apply: (kind: number, intent: Intent) => void): void {
  let bytes: Uint8Array
  try {
    bytes = fs.readFileSync(file)
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return
    throw err
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // A last entry cut short by a power cut is left out: its append never started.
  for (let at = 0; at + ENTRY_BYTES <= bytes.byteLength; at += ENTRY_BYTES) {
    const kind = bytes[at]
    if (kind !== INTENT && kind !== DONE) break
    apply(kind, {
      deviceId: b4a.toString(bytes.subarray(at + 1, at + 9), 'hex'),
      sequence: view.getUint32(at + 9) * 0x1_0000_0000 + view.getUint32(at + 13),
      hash: b4a.toString(bytes.subarray(at + 17, at + 33), 'hex')
    })
  }
}

// Newest records first, until every reading is found or RECENT_RECORDS are read.
async function findInFeeds (readings: Unconfirmed[], feeds: Feeds, feedNames: string[]): Promise<void> {
  const wanted = new Map<string, Unconfirmed[]>()
  for (const r of readings) {
    r.feeds = []
    const key = `${r.sequence}:${r.hash}`
    wanted.set(key, [...(wanted.get(key) ?? []), r])
  }
  for (const name of feedNames) {
    const core = feeds.core(name)
    if (core === undefined) continue
    for await (const bytes of newestRecords(core, RECENT_RECORDS)) {
      let record
      try {
        record = decodeReading(bytes)
      } catch {
        continue
      }
      if (record.qos !== 1) continue
      // Two devices' readings alike in sequence, topic and payload cannot be told apart:
      // each record found counts for one of them, so the feed ends up with as many
      // copies as were sent, whichever of the two the record is taken for.
      const holder = wanted.get(`${record.packetId}:${readingHash(record.topic, record.payload)}`)?.find((r) => !r.feeds!.includes(name))
      if (holder !== undefined) holder.feeds!.push(name)
    }
  }
}
