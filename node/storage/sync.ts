// One kept core open for syncing: its download range, the connected devices that
// follow it, and its holding state (syncing, held, waiting, over-quota, disk-full),
// accounted from the core as blocks arrive.
import b4a from 'b4a'
import { encodeKey } from '../identity/keys.ts'
import type { Logger } from '../log.ts'
import type { Clock } from '../platform/wall-clock.ts'
import type { HoldingEntry, Holdings } from './holdings.ts'
import { dropSources, lookUpSources, type SourceOptions, type SourceSocket } from './sources.ts'

// What the keeper uses of a hypercore session.
export interface KeptCore {
  key: Uint8Array
  discoveryKey: Uint8Array
  length: number
  contiguousLength: number
  byteLength: number
  peers: unknown[]
  closed: boolean
  ready (): Promise<void>
  download (range: { start: number, end: number }): { destroy (): void }
  on (event: 'download', listener: (index: number, byteLength: number) => void): void
  on (event: string, listener: () => void): void
  close (): Promise<void>
  clear (start: number, end: number): Promise<unknown>
}

// A connected device's connection: the device follows the cores it keeps while it lasts.
export interface Follower {
  destroyed: boolean
  once (event: 'close', listener: () => void): unknown
}

// A synced core with no follower stays open this long, in case more arrives.
const LINGER_MS = 3000
// The connected writer may be enough: the DHT is asked who has the core only if the
// core is not held this long after it opened.
const SOURCES_AFTER_MS = 500

export interface Sync {
  entry: HoldingEntry
  core: KeptCore
  range: { destroy (): void } | null
  followers: Set<Follower>
  sources: Set<SourceSocket>
  lookingUp: boolean
  // Cancels the pending close of a core nobody follows.
  linger: (() => void) | null
  found: Array<() => void>
  closing: Promise<void> | null
  lastProgress: number
  // The length `core-held` was last logged at: the log says so for every length the node
  // comes to hold all of, also when the last block and the news of it arrive together.
  heldLogged: number
}

export interface SyncOptions {
  store: { get (opts: { key: Uint8Array }): KeptCore }
  holdings: Holdings
  quotaBytes: number
  sources: SourceOptions
  clock: Clock
  log: Logger
  diskFull (): boolean
  // The keeper is closing.
  closed (): boolean
  // Some core waits for a slot.
  othersWaiting (): boolean
  // The bytes of each block downloaded (for the disk checks between timed ones).
  downloaded (byteLength: number): void
  // A sync has closed: its slot is free.
  released (sync: Sync): void
}

export interface Syncs {
  // A sync of the kept core, not yet started: it takes its slot from now.
  create (entry: HoldingEntry): Sync
  start (sync: Sync, via: Follower | null): Promise<void>
  // Asked for again while open: follow it, and make sure its download runs.
  rejoin (sync: Sync, via: Follower | null): void
  follow (sync: Sync, via: Follower): void
  // A stalled download: a fresh range and a new lookup, as the peers that had it may have gone.
  restart (sync: Sync): void
  setDiskFull (sync: Sync, full: boolean): void
  // Waits until some peer has shown the core's length, or gives up after `ms`.
  waitFound (sync: Sync, ms: number): Promise<boolean>
  close (sync: Sync): Promise<void>
}

export function createSyncs (opts: SyncOptions): Syncs {
  const { holdings, clock, log } = opts

  function progress (sync: Sync): void {
    const { core, entry } = sync
    entry.length = Math.max(entry.length, core.length)
    entry.held = core.contiguousLength
    // The quota is summed over the owner's cores only when this one grew (an append),
    // not for every block downloaded: an owner may keep a thousand cores.
    const grew = core.byteLength > entry.byteLength
    if (core.byteLength > 0) entry.byteLength = core.byteLength
    if (sync.found.length > 0 && core.length > 0) {
      for (const f of sync.found) f()
      sync.found = []
    }
    if (entry.state === 'over-quota' || entry.state === 'disk-full') return
    const mine = grew ? holdings.usageOf(entry.owner).bytes : 0
    if (mine > opts.quotaBytes) {
      entry.state = 'over-quota'
      stopDownload(sync)
      log('quota-reached', { owner: entry.owner, core: encodeKey(core.key), bytes: mine, quotaBytes: opts.quotaBytes })
      holdings.saveSoon()
      return
    }
    if (core.length > 0 && entry.held >= core.length) {
      if (entry.state !== 'held' || core.length > sync.heldLogged) {
        sync.heldLogged = core.length
        log('core-held', { core: encodeKey(core.key), length: core.length, byteLength: entry.byteLength })
      }
      entry.state = 'held'
      entry.lastSyncMs = clock.now()
      // Others wait for a slot: a held core gives its slot up at once.
      if (opts.othersWaiting()) void close(sync)
      else maybeLinger(sync)
    } else {
      // A held core that grows while the disk is full is not fetched: say so, so that a
      // client waiting for it is told why instead of waiting out its timeout.
      entry.state = opts.diskFull() ? 'disk-full' : 'syncing'
      if (sync.linger) { sync.linger(); sync.linger = null }
    }
    holdings.saveSoon()
  }

  function stopDownload (sync: Sync): void {
    sync.range?.destroy()
    sync.range = null
  }

  function startDownload (sync: Sync): void {
    if (sync.range || opts.diskFull() || sync.entry.state === 'over-quota') return
    // A live range: blocks appended later by the writer are fetched too.
    sync.range = sync.core.download({ start: 0, end: -1 })
  }

  function maybeLinger (sync: Sync): void {
    if (sync.followers.size > 0 || sync.linger || sync.found.length > 0) return
    sync.linger = clock.after(LINGER_MS, () => { sync.linger = null; void close(sync) })
  }

  function create (entry: HoldingEntry): Sync {
    const core = opts.store.get({ key: b4a.from(entry.key, 'hex') })
    return { entry, core, range: null, followers: new Set(), sources: new Set(), lookingUp: false, linger: null, found: [], closing: null, lastProgress: clock.now(), heldLogged: 0 }
  }

  async function start (sync: Sync, via: Follower | null): Promise<void> {
    const { core } = sync
    await core.ready()
    // A held core that has just grown is not stalled, however long ago its last block came.
    core.on('append', () => { sync.lastProgress = clock.now(); progress(sync) })
    // Counted per block, not by the contiguous length: blocks arrive out of order, and it
    // stood at 3 MB with 25 MB of blocks on disk when a tmpfs filled up (measured).
    core.on('download', (_index, byteLength) => {
      sync.lastProgress = clock.now()
      opts.downloaded(byteLength)
      progress(sync)
    })
    if (via) follow(sync, via)
    startDownload(sync)
    progress(sync)
    clock.after(SOURCES_AFTER_MS, () => { if (!sync.closing && sync.entry.state !== 'held') void findSources(sync) })
  }

  function follow (sync: Sync, socket: Follower): void {
    // A socket that closed while its keep waited for a slot would never say goodbye.
    if (sync.followers.has(socket) || socket.destroyed) return
    sync.followers.add(socket)
    if (sync.linger) { sync.linger(); sync.linger = null }
    socket.once('close', () => {
      sync.followers.delete(socket)
      if (sync.entry.state === 'held') maybeLinger(sync)
      else if (!sync.closing) void findSources(sync)
    })
  }

  async function findSources (sync: Sync): Promise<void> {
    if (sync.lookingUp || sync.closing || opts.diskFull() || opts.closed()) return
    await lookUpSources(sync, opts.sources)
    if (sync.sources.size === 0 && sync.followers.size === 0 && sync.core.length === 0 && sync.found.length === 0) {
      sync.entry.state = 'waiting'
      void close(sync)
    }
  }

  function close (sync: Sync): Promise<void> {
    sync.closing ??= (async () => {
      if (sync.linger) sync.linger()
      stopDownload(sync)
      dropSources(sync)
      await sync.core.close().catch(() => {})
      holdings.saveSoon()
      opts.released(sync)
    })()
    return sync.closing
  }

  return {
    create,
    start,
    rejoin (sync, via) {
      if (via) follow(sync, via)
      startDownload(sync)
    },
    follow,
    restart (sync) {
      stopDownload(sync)
      startDownload(sync)
      void findSources(sync)
    },
    setDiskFull (sync, full) {
      if (full) {
        stopDownload(sync)
        if (sync.entry.state === 'syncing') sync.entry.state = 'disk-full'
      } else {
        if (sync.entry.state === 'disk-full') sync.entry.state = 'syncing'
        startDownload(sync)
      }
    },
    waitFound (sync, ms) {
      if (sync.core.length > 0) return Promise.resolve(true)
      return new Promise((resolve) => {
        const cancel = clock.after(ms, () => {
          sync.found = sync.found.filter((f) => f !== done)
          resolve(false)
        })
        const done = (): void => { cancel(); resolve(true) }
        sync.found.push(done)
      })
    },
    close
  }
}
