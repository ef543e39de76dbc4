// Wall-clock time and timers, passed to the parts that unit tests drive with a fake
// clock instead of waiting (storage/keeper.ts and its parts). No imports: the storage
// role's own bundle (roles/storage.cjs) takes this file without the platform module.
export interface Clock {
  // Milliseconds since the epoch: what the node records and reports (lastSyncMs).
  now (): number
  // Calls `fn` once after `ms`; the function returned cancels the call.
  after (ms: number, fn: () => void): () => void
  // Calls `fn` every `ms` without keeping the process alive; the function returned stops it.
  every (ms: number, fn: () => void): () => void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after (ms, fn) {
    const timer = setTimeout(fn, ms)
    return () => clearTimeout(timer)
  },
  every (ms, fn) {
    const timer = setInterval(fn, ms)
    timer.unref?.()
    return () => clearInterval(timer)
  }
}
