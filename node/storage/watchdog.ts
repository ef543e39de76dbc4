// The keeper's retry round: a download that has stalled gets a fresh range, and every
// kept core that is not complete waits for a slot again (a source may have come back).
import { encodeKey } from '../identity/keys.ts'
import type { Logger } from '../log.ts'
import type { Clock } from '../platform/wall-clock.ts'
import type { HoldingEntry } from './holdings.ts'

// Incomplete cores are tried again this often (a source may have come back).
export const RETRY_MS = 30_000
// upstream(hypercore@11.37.1): an incomplete core with no new block for this long gets a
// fresh download range: after a failed storage write hypercore requests no more blocks
// from the peer it paused (docs/decisions/storage-open-cores.md).
export const STALL_MS = 20_000

// What the round looks at in an open sync.
export interface Watched {
  entry: HoldingEntry
  core: { key: Uint8Array, length: number, contiguousLength: number }
  closing: Promise<void> | null
  lastProgress: number
}

export interface WatchdogOptions<S extends Watched> {
  clock: Clock
  log: Logger
  // No round while this holds (a full disk, a closing keeper).
  paused (): boolean
  kept (): Iterable<HoldingEntry>
  slots: {
    values (): Iterable<S>
    // Open or waiting for a slot.
    has (key: string): boolean
    queue (key: string): void
    fill (): void
  }
  // A fresh download range and a new source lookup.
  restart (sync: S): void
}

export interface Watchdog {
  // One round now (when space has returned, say).
  retry (): void
  stop (): void
}

// Runs a round every RETRY_MS, and one as soon as it starts: after a restart, what is
// still missing is fetched.
export function startWatchdog<S extends Watched> (opts: WatchdogOptions<S>): Watchdog {
  const { clock, log, slots } = opts

  function retry (): void {
    if (opts.paused()) return
    const stalledBefore = clock.now() - STALL_MS
    for (const sync of slots.values()) {
      if (sync.closing || sync.entry.state === 'held' || sync.entry.state === 'over-quota') continue
      if (sync.core.length > sync.core.contiguousLength && sync.lastProgress < stalledBefore) {
        log('sync-stalled', { core: encodeKey(sync.core.key), held: sync.core.contiguousLength, length: sync.core.length })
        sync.lastProgress = clock.now()
        opts.restart(sync)
      }
    }
    for (const entry of opts.kept()) {
      if (entry.state === 'held' || entry.state === 'over-quota' || slots.has(entry.key)) continue
      if (entry.state === 'disk-full') entry.state = 'syncing'
      slots.queue(entry.key)
    }
    slots.fill()
  }

  const stopRounds = clock.every(RETRY_MS, retry)
  const cancelFirst = clock.after(0, retry)
  return {
    retry,
    stop () {
      cancelFirst()
      stopRounds()
    }
  }
}
