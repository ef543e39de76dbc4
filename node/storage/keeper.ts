// The storage peer: keeps trusted users' cores (ciphertext: the node never has the
// encryption key), follows them while a device that writes them is connected,
// fetches what is missing from any peer that announces them, and serves them to
// anyone who asks by key (corestore does that on every connection).
//
// A core is open only while it is being synced, followed or read: at most
// `maxOpenCores` syncs at a time, and corestore closes cores a reader has left.
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import type HyperDHT from 'hyperdht'
import type { NoiseSecretStream } from 'hyperdht'
import type { StoragePeerSettings } from '../config/types.ts'
import type { Holding, HoldingsReply, KeepRequest, StorageStatus } from '../protocol/storage-messages.ts'
import { Refusal, type Refused } from '../protocol/refusals.ts'
import type { KeyPair } from '../identity/identity.ts'
import { decodeKey, encodeKey } from '../identity/keys.ts'
import type { Logger } from '../log.ts'
import type { Announcer } from './announcer.ts'
import type { HoldingEntry, Holdings } from './holdings.ts'
import { decideKeep, sum } from './quota.ts'

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

export interface KeeperStore {
  get (opts: { key: Uint8Array }): KeptCore
  replicate (stream: unknown): unknown
  // Cores open right now, whoever opened them.
  openCores (): number
  // Reclaims the disk space of purged cores.
  compact (): Promise<void>
}

export interface Keeper {
  keep (owner: Uint8Array, request: Omit<KeepRequest, 'id'>, via: NoiseSecretStream | null): Promise<Refused | null>
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
  dht: HyperDHT
  keyPair: KeyPair
  holdings: Holdings
  announcer: Announcer
  settings: StoragePeerSettings
  log: Logger
  // Free bytes on the storage's file system, and a check of it the keeper asks for
  // between the timer's rounds when downloads are fast.
  freeBytes (): number
  checkDisk (): void
}

// No core has 2^32 blocks; a request claiming more is broken or hostile.
const MAX_LENGTH = 2 ** 32
const MAX_BYTES = 2 ** 50
// A synced core with no follower stays open this long, in case more arrives.
const LINGER_MS = 3000
// Sources for a core nobody connected brings: at most this many peers at once.
const MAX_SOURCES = 3
// Incomplete cores are tried again this often (a source may have come back).
const RETRY_MS = 30_000
// A fast download can fill a disk between two timed checks: check every few MiB too.
const DISK_CHECK_BYTES = 4 * 1024 * 1024
// An incomplete core with no new block for this long gets a fresh download range. When
// rocksdb fails a write (ENOSPC on a tmpfs, measured), hypercore 11.37 pauses the peer,
// asks it for a fork proof and unpauses it, but requests no more blocks (replicator.js
// _handleData): with an idle writer the download never moves again, even after rocksdb
// recovers. Adding a range makes the replicator send requests. (Closing and reopening
// the core kept the same, unpaused peer: it worked only through the new range, and
// a retry round later.)
const STALL_MS = 20_000

interface Sync {
  id: string
  entry: HoldingEntry
  core: KeptCore
  range: { destroy (): void } | null
  followers: Set<NoiseSecretStream>
  sources: Set<NoiseSecretStream>
  lookingUp: boolean
  linger: ReturnType<typeof setTimeout> | null
  found: Array<() => void>
  closing: Promise<void> | null
  lastProgress: number
}

export function createKeeper (opts: KeeperOptions): Keeper {
  const { store, dht, keyPair, holdings, announcer, settings, log } = opts
  let bytesSinceCheck = 0
  const syncs = new Map<string, Sync>()
  // Cores waiting for a free slot, oldest first, with whoever waits for them to open.
  const waiting = new Map<string, Array<(sync: Sync | null) => void>>()
  let diskFull = false
  // Kept cores a peer brought new blocks of while the disk was full: fetched when space
  // returns, as the peer may stay connected without appending again.
  const newsWhileFull = new Set<string>()
  let closed = false

  const retryTimer = setInterval(retry, RETRY_MS)
  retryTimer.unref?.()
  // After a restart: announce every kept core again, and fetch what is still missing.
  for (const entry of holdings.all()) announcer.add(crypto.discoveryKey(b4a.from(entry.key, 'hex')))
  setTimeout(retry, 0)

  function limits (): { quotaBytes: number, quotaCores: number, budgetBytes: number } {
    return { quotaBytes: settings.quotaBytes, quotaCores: settings.quotaCores, budgetBytes: settings.budgetBytes }
  }

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
    if (mine > settings.quotaBytes) {
      entry.state = 'over-quota'
      stopDownload(sync)
      log('quota-reached', { owner: entry.owner, core: encodeKey(core.key), bytes: mine, quotaBytes: settings.quotaBytes })
      holdings.saveSoon()
      return
    }
    if (core.length > 0 && entry.held >= core.length) {
      if (entry.state !== 'held') log('core-held', { core: encodeKey(core.key), length: core.length, byteLength: entry.byteLength })
      entry.state = 'held'
      entry.lastSyncMs = Date.now()
      // Others wait for a slot: a held core gives its slot up at once.
      if (waiting.size > 0) void closeSync(sync)
      else maybeLinger(sync)
    } else {
      // A held core that grows while the disk is full is not fetched: say so, so that a
      // client waiting for it is told why instead of waiting out its timeout.
      entry.state = diskFull ? 'disk-full' : 'syncing'
      if (sync.linger) { clearTimeout(sync.linger); sync.linger = null }
    }
    holdings.saveSoon()
  }

  function stopDownload (sync: Sync): void {
    sync.range?.destroy()
    sync.range = null
  }

  function startDownload (sync: Sync): void {
    if (sync.range || diskFull || sync.entry.state === 'over-quota') return
    // A live range: blocks appended later by the writer are fetched too.
    sync.range = sync.core.download({ start: 0, end: -1 })
  }

  function maybeLinger (sync: Sync): void {
    if (sync.followers.size > 0 || sync.linger || sync.found.length > 0) return
    sync.linger = setTimeout(() => { sync.linger = null; void closeSync(sync) }, LINGER_MS)
  }

  async function openSync (entry: HoldingEntry, via: NoiseSecretStream | null): Promise<Sync | null> {
    const existing = syncs.get(entry.key)
    if (existing && !existing.closing) {
      if (via) follow(existing, via)
      startDownload(existing)
      return existing
    }
    if (existing?.closing) await existing.closing
    if (closed) return null
    if (syncs.size >= settings.maxOpenCores) {
      makeRoom()
      // Opened by startWaiting when a slot frees; a keep request waits for that.
      return await new Promise<Sync | null>((resolve) => {
        const list = waiting.get(entry.key) ?? []
        list.push((opened) => {
          if (opened && via) follow(opened, via)
          resolve(opened)
        })
        waiting.set(entry.key, list)
      })
    }
    const core = store.get({ key: b4a.from(entry.key, 'hex') })
    const sync: Sync = { id: entry.key, entry, core, range: null, followers: new Set(), sources: new Set(), lookingUp: false, linger: null, found: [], closing: null, lastProgress: Date.now() }
    syncs.set(entry.key, sync)
    await core.ready()
    // A held core that has just grown is not stalled, however long ago its last block came.
    core.on('append', () => { sync.lastProgress = Date.now(); progress(sync) })
    // Counted per block, not by the contiguous length: blocks arrive out of order, and it
    // stood at 3 MB with 25 MB of blocks on disk when a tmpfs filled up (measured).
    core.on('download', (_index, byteLength) => {
      sync.lastProgress = Date.now()
      bytesSinceCheck += byteLength
      if (bytesSinceCheck >= DISK_CHECK_BYTES) {
        bytesSinceCheck = 0
        opts.checkDisk()
      }
      progress(sync)
    })
    if (via) follow(sync, via)
    startDownload(sync)
    progress(sync)
    // The connected writer may be enough; otherwise ask the DHT who has the core.
    setTimeout(() => { if (!sync.closing && sync.entry.state !== 'held') void findSources(sync) }, 500)
    return sync
  }

  // Closes a synced core, one nobody follows if there is one, so that one waiting can
  // open when it has. A followed core may go too: one device keeping more cores than
  // there are slots would otherwise wait for itself forever, and news of a closed core
  // still arrives through the store watch (roles/storage.ts).
  function makeRoom (): void {
    let followed: Sync | null = null
    for (const sync of syncs.values()) {
      if (sync.entry.state !== 'held' || sync.closing) continue
      if (sync.followers.size === 0) {
        void closeSync(sync)
        return
      }
      followed ??= sync
    }
    if (followed) void closeSync(followed)
  }

  function follow (sync: Sync, socket: NoiseSecretStream): void {
    // A socket that closed while its keep waited for a slot would never say goodbye.
    if (sync.followers.has(socket) || socket.destroyed) return
    sync.followers.add(socket)
    if (sync.linger) { clearTimeout(sync.linger); sync.linger = null }
    socket.once('close', () => {
      sync.followers.delete(socket)
      if (sync.entry.state === 'held') maybeLinger(sync)
      else if (!sync.closing) void findSources(sync)
    })
  }

  async function findSources (sync: Sync): Promise<void> {
    if (sync.lookingUp || sync.closing || diskFull || closed) return
    sync.lookingUp = true
    const seen = new Set<string>([b4a.toString(keyPair.publicKey, 'hex')])
    try {
      const query = dht.lookup(sync.core.discoveryKey)
      for await (const reply of query) {
        for (const peer of reply.peers) {
          const id = b4a.toString(peer.publicKey, 'hex')
          if (seen.has(id) || sync.sources.size >= MAX_SOURCES) continue
          seen.add(id)
          const socket = dht.connect(peer.publicKey, { keyPair, relayAddresses: peer.relayAddresses })
          socket.on('error', () => {})
          socket.once('close', () => sync.sources.delete(socket))
          sync.sources.add(socket)
          store.replicate(socket)
        }
        if (sync.closing || sync.sources.size >= MAX_SOURCES) { query.destroy(); break }
      }
    } catch {
      // A failed lookup is tried again on the next retry round.
    } finally {
      sync.lookingUp = false
    }
    if (sync.sources.size === 0 && sync.followers.size === 0 && sync.core.length === 0 && sync.found.length === 0) {
      sync.entry.state = 'waiting'
      void closeSync(sync)
    }
  }

  function closeSync (sync: Sync): Promise<void> {
    sync.closing ??= (async () => {
      if (sync.linger) clearTimeout(sync.linger)
      stopDownload(sync)
      for (const s of sync.sources) s.destroy()
      await sync.core.close().catch(() => {})
      if (syncs.get(sync.id) === sync) syncs.delete(sync.id)
      holdings.saveSoon()
      startWaiting()
    })()
    return sync.closing
  }

  function startWaiting (): void {
    for (const [key, waiters] of waiting) {
      if (syncs.size >= settings.maxOpenCores && !closed) return
      waiting.delete(key)
      const entry = holdings.get(key)
      if (!entry || closed) {
        for (const w of waiters) w(null)
        continue
      }
      openSync(entry, null).then((sync) => {
        for (const w of waiters) w(sync)
      }, (err: Error) => {
        log('sync-failed', { core: encodeKey(b4a.from(key, 'hex')), reason: err.message })
        for (const w of waiters) w(null)
      })
    }
  }

  // Waits until some peer has shown the core's length, or gives up.
  function waitFound (sync: Sync, ms: number): Promise<boolean> {
    if (sync.core.length > 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        sync.found = sync.found.filter((f) => f !== done)
        resolve(false)
      }, ms)
      const done = (): void => { clearTimeout(timer); resolve(true) }
      sync.found.push(done)
    })
  }

  async function forget (entry: HoldingEntry): Promise<void> {
    const sync = syncs.get(entry.key)
    if (sync) await closeSync(sync)
    for (const w of waiting.get(entry.key) ?? []) w(null)
    waiting.delete(entry.key)
    holdings.delete(entry.key)
    const key = b4a.from(entry.key, 'hex')
    const core = store.get({ key })
    await core.ready()
    await announcer.remove(core.discoveryKey)
    // hypercore 11.37's purge() is broken (it calls a method that does not exist), so
    // the blocks are cleared; the core's few hundred bytes of metadata stay.
    await core.clear(0, core.length)
    await core.close()
  }

  async function keep (owner: Uint8Array, request: Omit<KeepRequest, 'id'>, via: NoiseSecretStream | null): Promise<Refused | null> {
    if (closed) return Refusal.CLOSING()
    if (request.length > MAX_LENGTH || request.byteLength > MAX_BYTES) {
      return Refusal.BAD_REQUEST(`a core of ${request.length} blocks and ${request.byteLength} bytes is not plausible`)
    }
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
      if (request.length > existing.held || via) await openSync(existing, via)
      return null
    }
    if (diskFull) return Refusal.DISK_FULL()
    const room = opts.freeBytes() - settings.reserveBytes
    if (request.byteLength > room) {
      return Refusal.NO_ROOM(room, request.byteLength)
    }
    const decision = decideKeep({ key: id, owner: ownerId, byteLength: request.byteLength }, holdings.values(), limits())
    if (!decision.ok) return decision.refused

    const entry: HoldingEntry = {
      key: id, owner: ownerId, evictable: request.evictable, addedAt: Date.now(),
      length: request.length, held: 0, byteLength: request.byteLength, lastSyncMs: 0, state: 'syncing', pending: true
    }
    holdings.set(entry)
    const sync = await openSync(entry, via)
    if (sync && !(await waitFound(sync, settings.findTimeoutMs))) {
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
      if (!entry || syncs.has(entry.key)) return
      if (diskFull) { newsWhileFull.add(entry.key); return }
      void openSync(entry, null).catch((err: Error) => log('sync-failed', { core: entry.key, reason: err.message }))
    },
    setDiskFull (full) {
      if (full === diskFull) return
      diskFull = full
      for (const sync of syncs.values()) {
        if (full) {
          stopDownload(sync)
          if (sync.entry.state === 'syncing') sync.entry.state = 'disk-full'
        } else {
          if (sync.entry.state === 'disk-full') sync.entry.state = 'syncing'
          startDownload(sync)
        }
      }
      if (!full) {
        for (const id of newsWhileFull) {
          const entry = holdings.get(id)
          if (entry && !syncs.has(id)) void openSync(entry, null).catch((err: Error) => log('sync-failed', { core: id, reason: err.message }))
        }
        newsWhileFull.clear()
        retry()
      }
    },
    status () {
      return {
        cores: holdings.size(),
        bytes: sum(holdings.values()),
        budgetBytes: settings.budgetBytes,
        openCores: store.openCores(),
        syncing: syncs.size,
        announced: announcer.announced(),
        diskFull
      }
    },
    async close () {
      closed = true
      clearInterval(retryTimer)
      startWaiting() // tells everyone waiting for a slot that none will come
      await Promise.all([...syncs.values()].map(closeSync))
      announcer.close()
      holdings.close()
    }
  }

  function retry (): void {
    if (diskFull || closed) return
    const stalledBefore = Date.now() - STALL_MS
    for (const sync of syncs.values()) {
      if (sync.closing || sync.entry.state === 'held' || sync.entry.state === 'over-quota') continue
      if (sync.core.length > sync.core.contiguousLength && sync.lastProgress < stalledBefore) {
        log('sync-stalled', { core: encodeKey(sync.core.key), held: sync.core.contiguousLength, length: sync.core.length })
        sync.lastProgress = Date.now()
        stopDownload(sync)
        startDownload(sync)
        // The peers that had it may have gone too.
        void findSources(sync)
      }
    }
    for (const entry of holdings.all()) {
      if (entry.state === 'held' || entry.state === 'over-quota' || syncs.has(entry.key) || waiting.has(entry.key)) continue
      if (entry.state === 'disk-full') entry.state = 'syncing'
      waiting.set(entry.key, [])
    }
    startWaiting()
  }
}

function idOf (owner: string): Uint8Array {
  return decodeKey('owner', owner)
}
