// The cores the storage peer keeps for its trusted users: who asked (the owner, whose
// quota it counts against), what the node knows of each core and when it last held
// all of it. One JSON file, replaced atomically and synced: a core the node has
// acknowledged keeping is never forgotten by a crash.
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'
import type { HoldingState } from '../control/storage-protocol.ts'

export const HOLDINGS_FILE = 'holdings.json'

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
  ofOwner (owner: string): HoldingEntry[]
  set (entry: HoldingEntry): void
  delete (key: string): boolean
  // Writes now; resolves when the file is on disk.
  save (): void
  // Writes within a few seconds: for progress, which can be read again from the cores.
  saveSoon (): void
  close (): void
}

const SAVE_DELAY_MS = 2000

// `onError` hears of a timed save that failed (a full disk); it is tried again later.
export function loadHoldings (storage: string, onError: (err: Error) => void = () => {}): Holdings {
  const file = path.join(storage, HOLDINGS_FILE)
  const entries = new Map<string, HoldingEntry>()
  let text: string | null = null
  try {
    text = b4a.toString(fs.readFileSync(file))
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err
  }
  if (text !== null) {
    // A damaged file is not silently emptied: that would forget what users entrusted.
    const parsed = JSON.parse(text) as { version?: number, cores?: HoldingEntry[] }
    for (const e of parsed.cores ?? []) entries.set(e.key, e)
  }
  let timer: ReturnType<typeof setTimeout> | null = null

  function save (): void {
    if (timer) { clearTimeout(timer); timer = null }
    const tmp = `${file}.tmp`
    const fd = fs.openSync(tmp, 'w', 0o600)
    try {
      fs.writeSync(fd, b4a.from(JSON.stringify({ version: 1, cores: [...entries.values()].filter((e) => e.pending !== true) })))
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(tmp, file)
  }

  return {
    get: (key) => entries.get(key),
    all: () => [...entries.values()],
    ofOwner: (owner) => [...entries.values()].filter((e) => e.owner === owner),
    set (entry) { entries.set(entry.key, entry) },
    delete: (key) => entries.delete(key),
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
    }
  }
}
