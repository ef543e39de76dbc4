// Closes cores that nobody on this node uses and no peer is fetching from, once more
// than `max` are open, oldest first.
// upstream(corestore@7.12.5, hypercore@11.37.1): corestore keeps a core a peer opened
// open for 20-40 s after both ends stop downloading; a device keeping 1,000 cores had
// all 1,000 open on the node at once (docs/decisions/storage-open-cores.md).

// What this uses of a corestore's open core (hypercore 11.37's Core, corestore 7.12.5).
export interface OpenCore {
  opened: boolean
  closing: Promise<void> | null
  hasSession (): boolean
  close (): Promise<void>
  state: { length: number } | null
  replicator: {
    peers: Array<{ remoteDownloading: boolean, remoteLength: number, remoteContiguousLength: number }>
    _inflight: { idle: boolean }
    // Peers plus channels still opening.
    _active: number
  }
}

// corestore's CoreTracker: its cores in the order they were opened.
export interface CoreTracker extends Iterable<OpenCore> {
  size: number
  _gcing: Set<OpenCore>
  _gc (core: OpenCore): void
}

// How often cores that were busy are looked at again when over the limit.
const SWEEP_MS = 2000

export interface IdleCoreCloser {
  // Looks for cores to close soon (after a core was opened).
  soon (): void
  stop (): void
}

export function startIdleCoreCloser (cores: CoreTracker, max: number): IdleCoreCloser {
  const closing = new Set<OpenCore>()
  let scheduled: ReturnType<typeof setTimeout> | null = null
  let stopped = false

  function idle (core: OpenCore): boolean {
    if (!core.opened || core.closing || core.hasSession() || core.state === null) return false
    // Blocks this node asked a peer for and has not received yet.
    if (!core.replicator._inflight.idle) return false
    // A peer whose channel is still opening has not said what it wants yet.
    if (core.replicator._active > core.replicator.peers.length) return false
    // A peer still fetching: one that is downloading and lacks some block this node has.
    const length = core.state.length
    return core.replicator.peers.every((p) => !p.remoteDownloading || (p.remoteLength >= length && p.remoteContiguousLength >= length))
  }

  function close (core: OpenCore): void {
    closing.add(core)
    // corestore's own gc does the same: close, then forget the core (if it still is the
    // one stored under its key: a peer may have opened it again meanwhile).
    cores._gcing.delete(core)
    const done = (): void => {
      closing.delete(core)
      cores._gc(core)
    }
    core.close().then(done, done)
  }

  function sweep (): void {
    let over = cores.size - closing.size - max
    for (const core of cores) {
      if (over <= 0) return
      if (closing.has(core) || !idle(core)) continue
      close(core)
      over--
    }
  }

  const timer = setInterval(sweep, SWEEP_MS)
  timer.unref?.()

  return {
    soon () {
      if (scheduled || stopped) return
      scheduled = setTimeout(() => { scheduled = null; sweep() }, 0)
    },
    stop () {
      stopped = true
      clearInterval(timer)
      if (scheduled) clearTimeout(scheduled)
    }
  }
}

