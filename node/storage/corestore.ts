// The node's corestore, opened only when a role needs hypercores: loading rocksdb-native
// alone costs about 8 MB of RSS on Bare (measured), too much for a node without one.
import path from '#path'

export interface Store {
  // corestore's own type is loose; roost uses get/replicate/ready/close.
  get (opts: Record<string, unknown>): StoreCore
  replicate (stream: unknown): unknown
  ready (): Promise<void>
  close (): Promise<void>
}

export interface StoreCore {
  key: Uint8Array | null
  discoveryKey: Uint8Array | null
  length: number
  byteLength: number
  ready (): Promise<void>
  append (blocks: Uint8Array | Uint8Array[]): Promise<{ length: number, byteLength: number }>
  get (index: number, opts?: Record<string, unknown>): Promise<Uint8Array | null>
  close (): Promise<void>
  on (event: string, listener: (...args: unknown[]) => void): void
}

export function coresPath (dataDir: string): string {
  return path.join(dataDir, 'cores')
}

// Storage settings for a board with 512 MB of RAM, in one place. Corestore hands its
// storage only `treeCache` (and a few flags), so openStore builds the hypercore-storage
// instance itself with Hypercore.defaultStorage, which passes these on to rocksdb-native:
// the RocksDB constructor and both column families (rocksdb's default one and
// hypercore-storage's own) read them. Checked in the OPTIONS file rocksdb writes.
export const SMALL_DEVICE_STORAGE = {
  // Memtable size per column family (default 64 MiB); rocksdb keeps up to two per family
  // while one is flushed, so at most 4 × 4 MiB instead of 256 MiB. Costs more, smaller
  // flushes and level-0 files, so more compaction work. A 256 MiB core reached the
  // node at 0.86 of plain corestore's rate with 4 MiB (120 MiB RSS while receiving),
  // 0.91 with 16 MiB (135 MiB) and 0.97 with 64 MiB (196 MiB): medians of 3-5 runs on a
  // noisy machine (bench, storage section). Boards with a 256 MiB memory budget get
  // 16 MiB (storagePeer.memtableBytes, targets/artifact.ts).
  writeBufferSize: 4 * 1024 * 1024,
  // No block cache: rocksdb-native can only turn it on or off, and on it is rocksdb's
  // internal 32 MiB per column family, filled by every read (replication, `feed tail`).
  // Reads then come from the kernel's page cache, which gives memory back under
  // pressure; measured about 20% slower block reads (40,000 gets: 1.9 s → 2.4 s).
  blockCache: false,
  // rocksdb refuses to cache index and filter blocks without a block cache; the table
  // readers hold them instead (small: a bloom filter of 10 bits a key, one index block
  // per 8 KiB data block).
  tableCacheIndexAndFilterBlocks: false,
  // Flush and compaction threads (default 6): a board has 1–4 cores, and each thread
  // keeps its own malloc arena.
  maxBackgroundJobs: 2,
  // Merkle tree nodes cached for all cores together (default 8192, about 1.5 MB); a
  // miss is one rocksdb read when a proof is built for a peer.
  treeCache: { maxSize: 2048 }
} as const

export interface StoreOptions {
  // rocksdb/hypercore-storage settings; defaults to SMALL_DEVICE_STORAGE.
  rocksdb?: Record<string, unknown>
  // Replaces SMALL_DEVICE_STORAGE's memtable size.
  memtableBytes?: number
}

export async function openStore (dataDir: string, opts: StoreOptions = {}): Promise<Store> {
  const [{ default: Corestore }, { default: Hypercore }] = await Promise.all([import('corestore'), import('hypercore')])
  const defaultStorage = (Hypercore as unknown as { defaultStorage (dir: string, opts: Record<string, unknown>): unknown }).defaultStorage
  const settings = opts.rocksdb ?? { ...SMALL_DEVICE_STORAGE, writeBufferSize: opts.memtableBytes ?? SMALL_DEVICE_STORAGE.writeBufferSize }
  const coreStorage = defaultStorage(coresPath(dataDir), settings)
  const store = new (Corestore as unknown as new (storage: unknown) => Store)(coreStorage)
  await store.ready()
  spareBusyCoresFromGc((store as unknown as { cores: GcTracker }).cores)
  return store
}

// What the gc workaround uses of corestore 7.12.5's CoreTracker and hypercore 11.37's Core.
interface GcCore { gc: number, hasSession (): boolean, replicator: { idle (): boolean } }
interface GcTracker {
  _gcing: Set<GcCore>
  _gcCycle (): void
  _gcCycleBound (): void
  _gcInterval: unknown
  _startGC (): void
  _stopGC (): void
}

// upstream(corestore@7.12.5): the gc closes a core four strikes (2 s apart) after it went
// idle even if a peer began to replicate it meanwhile: a new connection attaches every
// core hypercore still calls "downloading" (20–40 s after its last session closed)
// without taking it out of the gc. The peer's channel is then closed under it while this
// side says it is downloading, which hypercore@11.37.1 takes as final (it reopens only
// when the closing side was not downloading): a reader fetching a kept core 3–11 s after
// its writer left stopped for good with most blocks fetched (issue 13; test/unit/store-gc.test.ts).
// Here a core that is busy again at a strike leaves the gc; hypercore calls onidle, and
// the gc starts over, when its last peer or session goes.
function spareBusyCoresFromGc (cores: GcTracker): void {
  const cycle = cores._gcCycle.bind(cores)
  cores._gcCycle = () => {
    for (const core of cores._gcing) {
      if (!core.hasSession() && core.replicator.idle()) continue
      cores._gcing.delete(core)
      core.gc = 0
    }
    cycle()
  }
  cores._gcCycleBound = cores._gcCycle
  // The timer holds the bound function it started with.
  if (cores._gcInterval) {
    cores._stopGC()
    cores._startGC()
  }
}
