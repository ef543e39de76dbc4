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

interface Pending<T> { item: T, resolve: () => void, reject: (err: Error) => void }

export function createBatcher<T> (write: (items: T[]) => Promise<void>, opts: { maxItems: number, maxDelayMs: number }): Batcher<T> {
  let queue: Array<Pending<T>> = []
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
    if (!due && queue.length < opts.maxItems) return
    const batch = queue.length > opts.maxItems ? queue.slice(0, opts.maxItems) : queue
    queue = queue.length > opts.maxItems ? queue.slice(opts.maxItems) : []
    if (queue.length === 0) {
      due = false
      stopClocks()
    }
    writing = true
    write(batch.map((p) => p.item)).then(() => {
      for (const p of batch) p.resolve()
    }, (err: Error) => {
      for (const p of batch) p.reject(err)
    }).then(() => {
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
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (addOpts?.soon === true) immediate ??= setImmediate(() => { immediate = null; makeDue() })
        else timer ??= setTimeout(() => { timer = null; makeDue() }, opts.maxDelayMs)
        if (queue.length >= opts.maxItems) pump()
      })
    },
    flush,
    async close () {
      closed = true
      await flush()
    }
  }
}
