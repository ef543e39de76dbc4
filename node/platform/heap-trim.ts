// V8 keeps the heap it grew to for a burst of readings or a replication long after the
// work is done: a Bare node of the Pi 3 B's roles idled at 37.9 MiB anonymous memory,
// 29.5 after one full collection (x86-64, Bare 1.31.0). Bare has no V8 flags for heap
// limits and its embedder sends V8 no idle or memory-pressure notices, so the node
// collects itself: every TRIM_MS it looks at its anonymous memory, and collects when
// that has grown by GROWTH_BYTES since the last collection. A full collection costs
// 15-20 ms of CPU here, so a node that stays idle stops paying for it after the first.
// The runtime exposes gc() only when started with --expose-gc, as the service files
// start it (targets/device-paths.ts RUNTIME_FLAGS); without it this does nothing.
import fs from '#fs'

export const TRIM_MS = 30_000
export const GROWTH_BYTES = 2 * 1024 * 1024

type Collect = () => void

export interface HeapTrim {
  // False when the runtime has no gc(): the ready line says so.
  readonly running: boolean
  close (): void
}

export interface HeapTrimOptions {
  every?: number
  collect?: Collect | null
  // The process's anonymous resident bytes; null when unknown (then it always collects).
  anonBytes?: () => number | null
}

export function startHeapTrim (opts: HeapTrimOptions = {}): HeapTrim {
  const { every = TRIM_MS, anonBytes = anonResidentBytes } = opts
  const collect = opts.collect === undefined ? (globalThis as { gc?: Collect }).gc ?? null : opts.collect
  if (typeof collect !== 'function') return { running: false, close () {} }
  let afterLast = -Infinity
  const timer = setInterval(() => {
    const now = anonBytes()
    if (now !== null && now < afterLast + GROWTH_BYTES) return
    collect()
    afterLast = anonBytes() ?? -Infinity
  }, every)
  // The node stays up for its sockets and timers, never for this one.
  timer.unref?.()
  return { running: true, close () { clearInterval(timer) } }
}

function anonResidentBytes (): number | null {
  try {
    const kb = /RssAnon:\s+(\d+) kB/.exec(String(fs.readFileSync('/proc/self/status')))
    return kb === null ? null : Number(kb[1]) * 1024
  } catch {
    return null
  }
}
