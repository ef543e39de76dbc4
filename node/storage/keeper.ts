// The storage peer: keeps trusted users' cores (ciphertext: the node never has the
// encryption key), follows them while a device that writes them is connected,
// fetches what is missing from any peer that announces them, and serves them to
// anyone who asks by key (corestore does that on every connection).
//
// A core is open only while it is being synced, followed or read: at most
// `maxOpenCores` syncs at a time (slots.ts), and corestore closes cores a reader has left.
// This file wires the parts: admission.ts (is a keep let in), sync.ts (one open core and
// its holding state), slots.ts, sources.ts (peers found on the DHT), watchdog.ts (retry
// rounds, stalled downloads) and disk-full.ts.
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import type { StoragePeerSettings } from '../config/types.ts'
import type { Holding, HoldingsReply, KeepRequest, StorageStatus } from '../protocol/storage-messages.ts'
import { Refusal, type Refused } from '../protocol/refusals.ts'
import type { KeyPair } from '../identity/identity.ts'
import { decodeKey, encodeKey } from '../identity/keys.ts'
import type { Logger } from '../log.ts'
import { systemClock, type Clock } from '../platform/wall-clock.ts'
import { admitNew, decideKeep, implausible, sum, type Limits } from './admission.ts'
import type { Announcer } from './announcer.ts'
import { createDiskFull } from './disk-full.ts'
import type { HoldingEntry, Holdings } from './holdings.ts'
import { createSlots } from './slots.ts'
import type { SourceDht } from './sources.ts'
import { createSyncs, type Follower, type KeptCore, type Sync } from './sync.ts'
import { startWatchdog } from './watchdog.ts'

export type { Follower, KeptCore } from './sync.ts'

export interface KeeperStore {
  get (opts: { key: Uint8Array }): KeptCore
  replicate (stream: unknown): unknown
  // Cores open right now, whoever opened them.
  openCores (): number
  // Reclaims the disk space of purged cores.
  compact (): Promise<void>
}

export interface Keeper {
  keep (owner: Uint8Array, request: Omit<KeepRequest, 'id'>, via: Follower | null): Promise<Refused | null>
  drop (owner: Uint8Array, key: Uint8Array, asOperator: boolean): Promise<Refused | null>
  // Every core the owner keeps (all of them for an operator), or only those in `keys`.
  holdings (owner: Uint8Array, asOperator: boolean, keys?: Uint8Array[]): Omit<HoldingsReply, 'id'>
  // A held core a peer opened: if the peer has blocks the node lacks, fetch them.
  onCoreNews (key: Uint8Array): void
  setDiskFull (full: boolean): void
  status (): StorageStatus
  close (): Promise<void>
}

export interface KeeperOptions {
  store: KeeperStore
  dht: SourceDht
  keyPair: KeyPair
  holdings: Holdings
  announcer: Announcer
  settings: StoragePeerSettings
  log: Logger
  // Free bytes on the storage's file system, and a check of it the keeper asks for
  // between the timer's rounds when downloads are fast.
  freeBytes (): number
  checkDisk (): void
  // Time and timers; the system's unless a test drives them.
  clock?: Clock
}

export function createKeeper (opts: KeeperOptions): Keeper {
  const { store, dht, keyPair, holdings, announcer, settings, log } = opts
  const clock = opts.clock ?? systemClock
  let closed = false

  const syncs = createSyncs({
    store, holdings, clock, log,
    quotaBytes: settings.quotaBytes,
    sources: { dht, keyPair, replicate: (socket) => store.replicate(socket) },
    diskFull: () => diskFull.active(),
    closed: () => closed,
    othersWaiting: () => slots.othersWaiting(),
    downloaded: (byteLength) => diskFull.downloaded(byteLength),
    released: (sync) => slots.release(sync)
  })
  const slots = createSlots<Sync, Follower>({
    max: settings.maxOpenCores,
    closed: () => closed,
    entry: (key) => holdings.get(key),
    create: syncs.create,
    start: syncs.start,
    rejoin: syncs.rejoin,
    follow: syncs.follow,
    close: syncs.close,
    log
  })
  const diskFull = createDiskFull<Sync>({
    checkDisk: opts.checkDisk,
    open: () => slots.values(),
    setSyncFull: syncs.setDiskFull,
    fetch (key) {
      const entry = holdings.get(key)
      if (entry && !slots.get(key)) fetch(entry)
    },
    retry: () => watchdog.retry()
  })
  const watchdog = startWatchdog<Sync>({
    clock, log, slots,
    paused: () => diskFull.active() || closed,
    kept: () => holdings.all(),
    restart: syncs.restart
  })
  // After a restart: announce every kept core again (the watchdog's first round fetches
  // what is still missing).
  for (const entry of holdings.all()) announcer.add(crypto.discoveryKey(b4a.from(entry.key, 'hex')))

  function limits (): Limits {
    return { quotaBytes: settings.quotaBytes, quotaCores: settings.quotaCores, budgetBytes: settings.budgetBytes }
  }

  function fetch (entry: HoldingEntry): void {
    void slots.acquire(entry, null).catch((err: Error) => log('sync-failed', { core: encodeKey(b4a.from(entry.key, 'hex')), reason: err.message }))
  }

  async function forget (entry: HoldingEntry): Promise<void> {
    const sync = slots.get(entry.key)
    if (sync) await syncs.close(sync)
    slots.cancel(entry.key)
    holdings.delete(entry.key)
    const key = b4a.from(entry.key, 'hex')
    const core = store.get({ key })
    await core.ready()
    await announcer.remove(core.discoveryKey)
    // upstream(hypercore@11.37.1): purge() is broken (it calls a method that does not
    // exist), so the blocks are cleared; the core's few hundred bytes of metadata stay.
    await core.clear(0, core.length)
    await core.close()
  }

  async function keep (owner: Uint8Array, request: Omit<KeepRequest, 'id'>, via: Follower | null): Promise<Refused | null> {
    if (closed) return Refusal.CLOSING()
    const bad = implausible(request)
    if (bad) return bad
    const ownerId = encodeKey(owner)
    const id = b4a.toString(request.key, 'hex')
    const existing = holdings.get(id)
    if (existing) {
      // Already kept (perhaps for another user): follow it while this device is here.
      if (existing.owner === ownerId && existing.evictable !== request.evictable) {
        existing.evictable = request.evictable
        holdings.persist([id])
      }
      if (existing.state === 'waiting') existing.state = 'syncing'
      if (request.length > existing.held || via) await slots.acquire(existing, via)
      return null
    }
    const disk = { full: diskFull.active(), room: () => opts.freeBytes() - settings.reserveBytes }
    const decision = admitNew({ key: id, owner: ownerId, byteLength: request.byteLength }, disk, holdings.values(), limits())
    if (!decision.ok) return decision.refused

    const entry: HoldingEntry = {
      key: id, owner: ownerId, evictable: request.evictable, addedAt: clock.now(),
      length: request.length, held: 0, byteLength: request.byteLength, lastSyncMs: 0, state: 'syncing', pending: true
    }
    holdings.set(entry)
    const sync = await slots.acquire(entry, via)
    if (sync === null) {
      // No slot will come: the node is closing. Not acknowledged, so nothing of it stays.
      if (holdings.get(id) === entry) holdings.delete(id)
      return Refusal.CLOSING()
    }
    if (!(await syncs.waitFound(sync, settings.findTimeoutMs))) {
      await forget(entry)
      return Refusal.CORE_UNAVAILABLE(encodeKey(request.key), settings.findTimeoutMs / 1000)
    }
    // The core's real size is known now: check it, not what the client said.
    const real = decideKeep({ key: id, owner: ownerId, byteLength: entry.byteLength }, holdings.values(), limits())
    if (!real.ok) {
      await forget(entry)
      return real.refused
    }
    const evicted: string[] = []
    for (const victim of [...decision.evict, ...real.evict]) {
      if (!holdings.get(victim.key)) continue
      await forget(victim)
      evicted.push(victim.key)
      log('evicted', { core: encodeKey(b4a.from(victim.key, 'hex')), owner: victim.owner, byteLength: victim.byteLength })
    }
    delete entry.pending
    try {
      holdings.persist([...evicted, entry.key])
    } catch (err) {
      // Not acknowledged, so not kept: nothing of it may stay behind.
      entry.pending = true
      await forget(entry)
      return Refusal.NOT_SAVED((err as Error).message)
    }
    if (evicted.length > 0) await store.compact()
    announcer.add(crypto.discoveryKey(request.key))
    log('keeping', { core: encodeKey(request.key), owner: ownerId, length: entry.length, byteLength: entry.byteLength })
    return null
  }

  return {
    keep,
    async drop (owner, key, asOperator) {
      const id = b4a.toString(key, 'hex')
      const entry = holdings.get(id)
      if (!entry) return Refusal.NOT_KEPT(encodeKey(key))
      if (entry.owner !== encodeKey(owner) && !asOperator) return Refusal.NOT_OWNER()
      await forget(entry)
      holdings.persist([id])
      await store.compact()
      log('dropped', { core: encodeKey(key), owner: entry.owner, byteLength: entry.byteLength })
      return null
    },
    holdings (owner, asOperator, keys = []) {
      const ownerId = encodeKey(owner)
      const visible = (e: HoldingEntry | undefined): e is HoldingEntry => e !== undefined && (asOperator || e.owner === ownerId)
      const shown = keys.length > 0
        ? keys.map((k) => holdings.get(b4a.toString(k, 'hex'))).filter(visible)
        : asOperator ? holdings.all() : holdings.ofOwner(ownerId)
      const list: Holding[] = shown.map((e) => ({
        key: b4a.from(e.key, 'hex'), owner: idOf(e.owner), length: e.length, held: e.held,
        byteLength: e.byteLength, lastSyncMs: e.lastSyncMs, evictable: e.evictable, state: e.state
      }))
      return { holdings: list, usage: { ...holdings.usageOf(ownerId), coresLimit: settings.quotaCores, bytesLimit: settings.quotaBytes } }
    },
    onCoreNews (key) {
      const entry = holdings.get(b4a.toString(key, 'hex'))
      if (!entry || slots.get(entry.key)) return
      if (diskFull.active()) { diskFull.holdNews(entry.key); return }
      fetch(entry)
    },
    setDiskFull: (full) => diskFull.set(full),
    status () {
      return {
        cores: holdings.size(),
        bytes: sum(holdings.values()),
        budgetBytes: settings.budgetBytes,
        openCores: store.openCores(),
        syncing: slots.size(),
        announced: announcer.announced(),
        diskFull: diskFull.active()
      }
    },
    async close () {
      closed = true
      watchdog.stop()
      slots.fill() // tells everyone waiting for a slot that none will come
      await Promise.all([...slots.values()].map(syncs.close))
      announcer.close()
      holdings.close()
    }
  }
}

function idOf (owner: string): Uint8Array {
  return decodeKey('owner', owner)
}
