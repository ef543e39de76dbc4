// Collects appends and writes them in batches: one hypercore append per feed per
// batch. Each caller's promise settles only after its block is stored, so the bridge
// can acknowledge the broker then. One batch is written at a time; what arrives
// meanwhile waits and goes into the next one (group commit), so the busier the feed,
// the larger its batches.
import { NodeError } from '../errors.ts'
export interface Batcher<T> {
  // `soon`: write at the end of this turn of the event loop instead of on the timer.
  // For an item someone is waiting on (a QoS 1 acknowledgement): the messages that
  // came in the same socket read still join its batch.
  add (item: T, opts?: { soon?: boolean }): Promise<void>
  // Writes everything queued now; settles once the queue is empty.
  flush (): Promise<void>
  close (): Promise<void>
}

// The items of one batch and the one promise their callers share: they are stored
// together or not at all, and a promise per item was most of what a reading allocated.
interface Group<T> { items: T[], done: Promise<void>, resolve: () => void, reject: (err: Error) => void }

function group<T> (): Group<T> {
  let resolve: () => void = () => {}
  let reject: (err: Error) => void = () => {}
  const done = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  return { items: [], done, resolve, reject }
}

export function createBatcher<T> (write: (items: T[]) => Promise<void>, opts: { maxItems: number, maxDelayMs: number }): Batcher<T> {
  // Each group holds maxItems at most; the first is the next batch written.
  const queue: Array<Group<T>> = []
  let writing = false
  // The queue may be written as soon as no batch is being written.
  let due = false
  let timer: ReturnType<typeof setTimeout> | null = null
  let immediate: ReturnType<typeof setImmediate> | null = null
  let emptied: Array<() => void> = []
  let closed = false

  function stopClocks (): void {
    if (timer) clearTimeout(timer)
    if (immediate) clearImmediate(immediate)
    timer = null
    immediate = null
  }

  function pump (): void {
    if (writing) return
    if (queue.length === 0) {
      const waiting = emptied
      emptied = []
      for (const resolve of waiting) resolve()
      return
    }
    const batch = queue[0]
    if (!due && batch.items.length < opts.maxItems) return
    queue.shift()
    if (queue.length === 0) {
      due = false
      stopClocks()
    }
    writing = true
    write(batch.items).then(batch.resolve, batch.reject).then(() => {
      writing = false
      pump()
    })
  }

  function makeDue (): void {
    due = true
    pump()
  }

  function flush (): Promise<void> {
    if (queue.length === 0 && !writing) return Promise.resolve()
    const drained = new Promise<void>((resolve) => emptied.push(resolve))
    makeDue()
    return drained
  }

  return {
    add (item, addOpts) {
      if (closed) return Promise.reject(NodeError.FEED_CLOSED())
      let last = queue[queue.length - 1]
      if (last === undefined || last.items.length >= opts.maxItems) {
        last = group<T>()
        queue.push(last)
      }
      last.items.push(item)
      if (addOpts?.soon === true) immediate ??= setImmediate(() => { immediate = null; makeDue() })
      else timer ??= setTimeout(() => { timer = null; makeDue() }, opts.maxDelayMs)
      if (queue[0].items.length >= opts.maxItems) pump()
      return last.done
    },
    flush,
    async close () {
      closed = true
      await flush()
    }
  }
}
