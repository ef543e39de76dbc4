// At most `max` kept cores syncing at once: the others wait for a slot, oldest first,
// with whoever waits for them to open.
import b4a from 'b4a'
import { encodeKey } from '../identity/keys.ts'
import type { Logger } from '../log.ts'
import type { HoldingEntry } from './holdings.ts'

// What the slots look at in an open sync.
export interface Slotted {
  entry: HoldingEntry
  closing: Promise<void> | null
  followers: { size: number }
}

// `S` is an open sync, `V` the connection of a device that asked for it.
export interface SlotOptions<S extends Slotted, V> {
  max: number
  // The keeper is closing: no slot will come.
  closed (): boolean
  entry (key: string): HoldingEntry | undefined
  // A new sync, which holds its slot from now on.
  create (entry: HoldingEntry): S
  start (sync: S, via: V | null): Promise<void>
  // A sync already open is asked for again.
  rejoin (sync: S, via: V | null): void
  follow (sync: S, via: V): void
  close (sync: S): Promise<void>
  log: Logger
}

export interface Slots<S, V> {
  // The kept core's open sync: at once if it is open or a slot is free, else when a slot
  // frees (null if none will: the keeper closed, the core was dropped).
  acquire (entry: HoldingEntry, via: V | null): Promise<S | null>
  get (key: string): S | undefined
  // Open, or waiting for a slot.
  has (key: string): boolean
  values (): Iterable<S>
  size (): number
  othersWaiting (): boolean
  // Waits for a slot with nobody to tell when it opens.
  queue (key: string): void
  // The core is no longer kept: nobody waits for it any more.
  cancel (key: string): void
  // A sync has closed: its slot goes to the oldest waiting.
  release (sync: S): void
  // Opens waiting cores while slots are free (all of them, with null, once closed).
  fill (): void
}

export function createSlots<S extends Slotted, V> (opts: SlotOptions<S, V>): Slots<S, V> {
  const syncs = new Map<string, S>()
  // Cores waiting for a free slot, oldest first, with whoever waits for them to open.
  const waiting = new Map<string, Array<(sync: S | null) => void>>()

  async function acquire (entry: HoldingEntry, via: V | null): Promise<S | null> {
    const existing = syncs.get(entry.key)
    if (existing && !existing.closing) {
      opts.rejoin(existing, via)
      return existing
    }
    if (existing?.closing) await existing.closing
    if (opts.closed()) return null
    if (syncs.size >= opts.max) {
      makeRoom()
      // Opened by fill when a slot frees; a keep request waits for that.
      return await new Promise<S | null>((resolve) => {
        const list = waiting.get(entry.key) ?? []
        list.push((opened) => {
          if (opened && via) opts.follow(opened, via)
          resolve(opened)
        })
        waiting.set(entry.key, list)
      })
    }
    const sync = opts.create(entry)
    syncs.set(entry.key, sync)
    await opts.start(sync, via)
    return sync
  }

  // Closes a synced core, one nobody follows if there is one, so that one waiting can
  // open when it has. A followed core may go too: one device keeping more cores than
  // there are slots would otherwise wait for itself forever, and news of a closed core
  // still arrives through the store watch (roles/storage.ts).
  function makeRoom (): void {
    let followed: S | null = null
    for (const sync of syncs.values()) {
      if (sync.entry.state !== 'held' || sync.closing) continue
      if (sync.followers.size === 0) {
        void opts.close(sync)
        return
      }
      followed ??= sync
    }
    if (followed) void opts.close(followed)
  }

  function fill (): void {
    for (const [key, waiters] of waiting) {
      if (syncs.size >= opts.max && !opts.closed()) return
      waiting.delete(key)
      const entry = opts.entry(key)
      if (!entry || opts.closed()) {
        for (const w of waiters) w(null)
        continue
      }
      acquire(entry, null).then((sync) => {
        for (const w of waiters) w(sync)
      }, (err: Error) => {
        opts.log('sync-failed', { core: encodeKey(b4a.from(key, 'hex')), reason: err.message })
        for (const w of waiters) w(null)
      })
    }
  }

  return {
    acquire,
    get: (key) => syncs.get(key),
    has: (key) => syncs.has(key) || waiting.has(key),
    values: () => syncs.values(),
    size: () => syncs.size,
    othersWaiting: () => waiting.size > 0,
    queue (key) {
      if (!waiting.has(key)) waiting.set(key, [])
    },
    cancel (key) {
      for (const w of waiting.get(key) ?? []) w(null)
      waiting.delete(key)
    },
    release (sync) {
      if (syncs.get(sync.entry.key) === sync) syncs.delete(sync.entry.key)
      fill()
    },
    fill
  }
}
