// The cores the storage peer keeps for its trusted users: who asked (the owner, whose
// quota it counts against), what the node knows of each core and when it last held
// all of it. One JSON file, replaced atomically and synced, and a journal of the
// changes acknowledged since: a core the node has accepted or dropped stays so
// through a crash.
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'
import type { HoldingState } from '../protocol/storage-messages.ts'
import { NodeError } from '../errors.ts'

export const HOLDINGS_FILE = 'holdings.json'
export const JOURNAL_FILE = 'holdings.journal'

export interface HoldingEntry {
  key: string // hex
  owner: string // z-base-32 public key
  evictable: boolean
  addedAt: number
  length: number
  held: number
  byteLength: number
  lastSyncMs: number
  state: HoldingState
  // Asked for, not yet accepted: never written to disk, so a crash leaves nothing of it.
  pending?: boolean
}

export interface Holdings {
  get (key: string): HoldingEntry | undefined
  all (): HoldingEntry[]
  // The same without a copy, for what runs on every request.
  values (): Iterable<HoldingEntry>
  size (): number
  ofOwner (owner: string): HoldingEntry[]
  // How many cores the owner keeps and their bytes, without a copy.
  usageOf (owner: string): { cores: number, bytes: number }
  // In memory only; `persist` makes a change durable.
  set (entry: HoldingEntry): void
  delete (key: string): boolean
  // Records these cores as they are now (or their absence) in the journal and syncs it:
  // a few hundred bytes, however many cores the node keeps. For what the node
  // acknowledges: a core it accepted, a core it dropped.
  persist (keys: string[]): void
  // Writes the whole file within a few seconds and empties the journal: for progress,
  // which can be read again from the cores.
  saveSoon (): void
  // Writes the whole file now.
  save (): void
  close (): void
}

const SAVE_DELAY_MS = 2000

type JournalRecord = { set: HoldingEntry } | { delete: string }

// `onError` hears of a timed save that failed (a full disk); it is tried again later.
//
// The file is rewritten whole only by timed saves; between them each acknowledged
// change is one line appended to holdings.journal. Rewriting the whole file for every
// keep made a device keeping 1,000 cores cost the node 300 MB of garbage (measured).
export function loadHoldings (dataDir: string, onError: (err: Error) => void = () => {}): Holdings {
  const file = path.join(dataDir, HOLDINGS_FILE)
  const journalFile = path.join(dataDir, JOURNAL_FILE)
  const entries = new Map<string, HoldingEntry>()
  const text = readIfThere(file)
  if (text !== null) {
    // A damaged file is not silently emptied: that would forget what users entrusted.
    let parsed: { version?: number, cores?: HoldingEntry[] }
    try {
      parsed = JSON.parse(text) as typeof parsed
    } catch (err) {
      throw NodeError.HOLDINGS_CORRUPT(file, (err as Error).message)
    }
    for (const e of parsed.cores ?? []) entries.set(e.key, e)
  }
  replayJournal(journalFile, readIfThere(journalFile), entries)

  let timer: ReturnType<typeof setTimeout> | null = null
  let journal: number | null = null
  let journalBytes = 0

  function save (): void {
    if (timer) { clearTimeout(timer); timer = null }
    const tmp = `${file}.tmp`
    const fd = fs.openSync(tmp, 'w', 0o600)
    try {
      writeAll(fd, b4a.from(JSON.stringify({ version: 1, cores: [...entries.values()].filter((e) => e.pending !== true) })))
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, file)
    // Only after the file that holds every change is in place. A crash in between
    // replays the journal over it: whole entries, so only progress figures can go back,
    // and the keeper reads those from the cores again.
    if (journal === null) fs.writeFileSync(journalFile, '', { mode: 0o600 })
    else {
      fs.ftruncateSync(journal, 0)
      fs.fsyncSync(journal)
      journalBytes = 0
    }
  }

  function persist (keys: string[]): void {
    let lines = ''
    for (const key of keys) {
      const e = entries.get(key)
      const record: JournalRecord = e && e.pending !== true ? { set: e } : { delete: key }
      lines += JSON.stringify(record) + '\n'
    }
    const bytes = b4a.from(lines)
    journal ??= fs.openSync(journalFile, 'a', 0o600)
    try {
      writeAll(journal, bytes)
      fs.fsyncSync(journal)
      journalBytes += bytes.byteLength
    } catch (err) {
      // A half-written line (a full disk) must not stay in front of later ones.
      try { fs.ftruncateSync(journal, journalBytes) } catch {}
      throw err
    }
  }

  return {
    get: (key) => entries.get(key),
    all: () => [...entries.values()],
    // Each `for` over it starts again (a Map's own iterator runs once).
    values: () => ({ [Symbol.iterator]: () => entries.values() }),
    size: () => entries.size,
    usageOf (owner) {
      let cores = 0
      let bytes = 0
      for (const e of entries.values()) {
        if (e.owner !== owner) continue
        cores++
        bytes += e.byteLength
      }
      return { cores, bytes }
    },
    ofOwner: (owner) => [...entries.values()].filter((e) => e.owner === owner),
    set (entry) { entries.set(entry.key, entry) },
    delete: (key) => entries.delete(key),
    persist,
    save,
    saveSoon () {
      timer ??= setTimeout(() => {
        timer = null
        try {
          save()
        } catch (err) {
          onError(err as Error)
          this.saveSoon()
        }
      }, SAVE_DELAY_MS)
    },
    close () {
      if (timer) save()
      if (journal !== null) fs.closeSync(journal)
      journal = null
    }
  }
}

// A write to a nearly full disk can write part and return; the next part then fails.
function writeAll (fd: number, bytes: Uint8Array): void {
  let done = 0
  while (done < bytes.byteLength) done += fs.writeSync(fd, bytes.subarray(done))
}

function readIfThere (file: string): string | null {
  try {
    return b4a.toString(fs.readFileSync(file))
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null
    throw err
  }
}

// Applies the journal's changes in order. Its last line may be cut short by a crash
// while it was written, before the change was acknowledged: that line is ignored. Any
// other bad line is damage, and loading stops rather than forget a core.
export function replayJournal (file: string, text: string | null, entries: Map<string, HoldingEntry>): void {
  if (text === null || text === '') return
  const lines = text.split('\n')
  const complete = text.endsWith('\n')
  if (complete) lines.pop()
  lines.forEach((line, i) => {
    let record: JournalRecord
    try {
      record = JSON.parse(line) as JournalRecord
    } catch (err) {
      if (i === lines.length - 1 && !complete) return
      throw NodeError.HOLDINGS_CORRUPT(`${file}:${i + 1}`, `not a holdings record (${(err as Error).message})`)
    }
    if ('set' in record) entries.set(record.set.key, record.set)
    else entries.delete(record.delete)
  })
}
