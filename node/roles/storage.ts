// The storage role as one unit the node loads only when a config turns it on (its own
// bundle on the device, roles/storage.cjs): the keeper, the DHT announcements of kept
// cores, the disk watch, and the blind-peer protocol that Pear and Keet apps speak
// through `blind-peering`.
import fs from '#fs'
import b4a from 'b4a'
import BlindPeerMuxer, { type CoresRequest } from 'blind-peer-muxer'
import Hypercore from 'hypercore'
import RocksDB from 'rocksdb-native'
import type HyperDHT from 'hyperdht'
import type { NoiseSecretStream } from 'hyperdht'
import type { StoragePeerSettings } from '../config/types.ts'
import type { KeyPair } from '../identity/identity.ts'
import { encodeKey } from '../identity/keys.ts'
import type { Logger } from '../log.ts'
import { createAnnouncer } from '../storage/announcer.ts'
import type { Store } from '../storage/corestore.ts'
import { loadHoldings } from '../storage/holdings.ts'
import { startIdleCoreCloser, type CoreTracker } from '../storage/idle-cores.ts'
import { createKeeper, type Keeper, type KeeperStore, type KeptCore } from '../storage/keeper.ts'

export { openStore } from '../storage/corestore.ts'

const DISK_CHECK_MS = 2000

export interface StorageRole {
  keeper: Keeper
  // Speaks the blind-peer protocol on a connection, for clients using blind-peering.
  attach (socket: NoiseSecretStream): void
  close (): Promise<void>
}

export interface StorageRoleOptions {
  store: Store
  dht: HyperDHT
  keyPair: KeyPair
  dataDir: string
  settings: StoragePeerSettings
  log: Logger
  isTrusted (publicKey: Uint8Array): boolean
  relayAddresses (): Array<{ host: string, port: number }>
}

// corestore's internals the keeper needs, in one place.
interface CorestoreInternals {
  get (opts: { key: Uint8Array }): KeptCore
  replicate (stream: unknown): unknown
  watch (fn: (core: unknown) => void): void
  unwatch (fn: (core: unknown) => void): void
  cores: CoreTracker & { opened (id: string): boolean }
  _attachMaybe (muxer: unknown, discoveryKey: Uint8Array): Promise<void>
  storage: { db: { compactRange (opts: Record<string, number>): Promise<void> } }
}

// A dropped core's blocks sit in rocksdb blob files shared with other cores: only a
// compaction that forces blob garbage collection over every file gives the disk back
// (measured: 5.4 MB → 0.15 MB; with the default policy nothing was freed).
const RECLAIM = {
  blobGarbageCollectionPolicy: RocksDB.constants.garbageCollectionPolicy.FORCE,
  blobGarbageCollectionAgeCutoff: 1,
  bottommostLevelCompaction: RocksDB.constants.bottommostLevelCompaction.FORCE
}

export function freeBytes (dir: string): number {
  const st = (fs as unknown as { statfsSync (p: string): { bavail: number, bsize: number } }).statfsSync(dir)
  return Number(st.bavail) * Number(st.bsize)
}

// upstream(corestore@7.12.5): corestore opens a stored core for any peer that asks for it
// by discovery key (_attachMaybe, pinned), and the discovery keys of kept cores are
// announced on the DHT: a stranger could make the node open every core it keeps (about
// 48 KB of heap each, measured). Past `max` open cores a peer's request for one more is
// not answered. The keeper's own syncs open their cores directly and are not limited.
function limitPeerOpens (store: CorestoreInternals, openCores: () => number, max: number, log: Logger): void {
  const attach = store._attachMaybe.bind(store)
  let loggedAt = 0
  // Requests arrive together: count the opens still under way, not only finished ones.
  let opening = 0
  store._attachMaybe = async (muxer, discoveryKey) => {
    if (store.cores.opened(b4a.toString(discoveryKey, 'hex'))) return attach(muxer, discoveryKey)
    if (openCores() + opening >= max) {
      if (Date.now() - loggedAt > 60_000) {
        loggedAt = Date.now()
        log('peer-cores-limited', { openCores: openCores(), maxPeerCores: max })
      }
      return
    }
    opening++
    try {
      return await attach(muxer, discoveryKey)
    } finally {
      opening--
    }
  }
}

export function startStorageRole (opts: StorageRoleOptions): StorageRole {
  const { dht, keyPair, dataDir, settings, log, isTrusted } = opts
  const store = opts.store as unknown as CorestoreInternals
  const keeperStore: KeeperStore = {
    get: (o) => store.get(o),
    replicate: (stream) => store.replicate(stream),
    openCores: () => store.cores.size,
    compact: () => store.storage.db.compactRange(RECLAIM)
  }
  limitPeerOpens(store, () => keeperStore.openCores(), settings.maxPeerCores, log)
  const idleCores = startIdleCoreCloser(store.cores, settings.maxOpenCores)
  const holdings = loadHoldings(dataDir, (err) => log('holdings-save-failed', { reason: err.message }))
  const announcer = createAnnouncer(dht, keyPair, opts.relayAddresses, log)
  const keeper = createKeeper({
    store: keeperStore, dht, keyPair, holdings, announcer, settings, log,
    freeBytes: () => freeBytes(dataDir),
    checkDisk: () => checkDisk()
  })
  const refusedLogged = new Set<string>()

  // A core a peer opened (a writer back online, a reader): hear when it has news.
  const onCoreOpen = (core: unknown): void => {
    idleCores.soon()
    const session = new Hypercore({ core, weak: true }) as unknown as KeptCore
    session.on('append', () => keeper.onCoreNews(session.key))
    session.ready().then(() => {
      if (session.length > session.contiguousLength) keeper.onCoreNews(session.key)
    }, () => {})
  }
  store.watch(onCoreOpen)

  let diskFull = false
  function checkDisk (): void {
    let free: number
    try {
      free = freeBytes(dataDir)
    } catch {
      return
    }
    // Resume only with some room above the reserve, so the node does not flap.
    const full = diskFull ? free < settings.reserveBytes * 1.25 : free < settings.reserveBytes
    if (full === diskFull) return
    diskFull = full
    keeper.setDiskFull(full)
    log(full ? 'disk-full' : 'disk-space-back', { freeBytes: free, reserveBytes: settings.reserveBytes })
  }

  checkDisk()
  const diskTimer = setInterval(checkDisk, DISK_CHECK_MS)
  diskTimer.unref?.()

  function onCores (socket: NoiseSecretStream, request: CoresRequest): void {
    const remote = encodeKey(socket.remotePublicKey)
    if (!isTrusted(socket.remotePublicKey)) {
      if (!refusedLogged.has(remote)) {
        refusedLogged.add(remote)
        log('refused', { peer: remote, request: 'blind-peer add-cores', reason: 'key not trusted' })
      }
      return
    }
    for (const { key, length } of request.cores) {
      keeper.keep(socket.remotePublicKey, { key, length, byteLength: 0, evictable: false }, socket).then((refused) => {
        if (refused) log('keep-refused', { peer: remote, core: encodeKey(key), code: refused.code, reason: refused.message })
      }, (err: Error) => log('keep-failed', { peer: remote, core: encodeKey(key), reason: err.message }))
    }
  }

  return {
    keeper,
    attach (socket) {
      BlindPeerMuxer.pair(socket, () => {
        // eslint-disable-next-line no-new
        new BlindPeerMuxer(socket, { oncores: (request) => onCores(socket, request) })
      })
    },
    async close () {
      clearInterval(diskTimer)
      idleCores.stop()
      store.unwatch(onCoreOpen)
      await keeper.close()
    }
  }
}
