// A clock for unit tests: time moves only when the test says, and the timers due on the
// way run in order, so code that waits seconds is tested in milliseconds.
import type { Clock } from '../../node/platform/wall-clock.ts'

// Lets every promise the last step set off run to its end.
export function settle (): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export interface FakeClock extends Clock {
  // Moves time on by `ms`, running the timers due on the way in order, each one's
  // consequences settled before the next.
  advance (ms: number): Promise<void>
}

export function fakeClock (start = 1_700_000_000_000): FakeClock {
  let time = start
  let lastId = 0
  const timers = new Map<number, { at: number, fn: () => void, every: number | null }>()
  function schedule (ms: number, fn: () => void, every: number | null): () => void {
    const id = ++lastId
    timers.set(id, { at: time + ms, fn, every })
    return () => { timers.delete(id) }
  }
  return {
    now: () => time,
    after: (ms, fn) => schedule(ms, fn, null),
    every: (ms, fn) => schedule(ms, fn, ms),
    async advance (ms) {
      const end = time + ms
      await settle()
      for (;;) {
        let next: [number, { at: number, fn: () => void, every: number | null }] | null = null
        for (const [id, timer] of timers) if (timer.at <= end && (next === null || timer.at < next[1].at)) next = [id, timer]
        if (next === null) break
        const [id, timer] = next
        time = timer.at
        if (timer.every === null) timers.delete(id)
        else timer.at += timer.every
        timer.fn()
        await settle()
      }
      time = end
    }
  }
}
