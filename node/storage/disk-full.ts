// The keeper's disk-full mode: while the storage's file system is below its reserve
// (roles/storage.ts watches it), the node takes no new cores and fetches no blocks; when
// space returns, it fetches again what it missed meanwhile.

// A fast download can fill a disk between two timed checks: check every few MiB too.
const DISK_CHECK_BYTES = 4 * 1024 * 1024

export interface DiskFullOptions<S> {
  // Asks for a check of the free space now.
  checkDisk (): void
  // The syncs open now.
  open (): Iterable<S>
  // Stops or restarts one sync's download.
  setSyncFull (sync: S, full: boolean): void
  // Opens the kept core to fetch what a peer brought, unless it is open.
  fetch (key: string): void
  // A retry round, for every other core that is not complete.
  retry (): void
}

export interface DiskFull {
  active (): boolean
  // A block of this size was written.
  downloaded (byteLength: number): void
  // A peer brought new blocks of a kept core while the disk is full: fetched when space
  // returns, as the peer may stay connected without appending again.
  holdNews (key: string): void
  set (full: boolean): void
}

export function createDiskFull<S> (opts: DiskFullOptions<S>): DiskFull {
  let full = false
  let bytesSinceCheck = 0
  const newsWhileFull = new Set<string>()

  return {
    active: () => full,
    downloaded (byteLength) {
      bytesSinceCheck += byteLength
      if (bytesSinceCheck >= DISK_CHECK_BYTES) {
        bytesSinceCheck = 0
        opts.checkDisk()
      }
    },
    holdNews (key) {
      newsWhileFull.add(key)
    },
    set (nowFull) {
      if (nowFull === full) return
      full = nowFull
      for (const sync of opts.open()) opts.setSyncFull(sync, full)
      if (full) return
      for (const key of newsWhileFull) opts.fetch(key)
      newsWhileFull.clear()
      opts.retry()
    }
  }
}
