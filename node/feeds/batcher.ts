// Collects appends and writes them in batches: one hypercore append per feed per
// flush, on a short timer or when a batch is full. Each caller's promise settles
// only after its block is stored, so the bridge can acknowledge the broker then.
export interface Batcher<T> {
  // `now`: the caller waits for this item before anything more can arrive, so waiting
  // for the timer would only add latency.
  add (item: T, opts?: { now?: boolean }): Promise<void>
  flush (): Promise<void>
  close (): Promise<void>
}

interface Pending<T> { item: T, resolve: () => void, reject: (err: Error) => void }

export function createBatcher<T> (write: (items: T[]) => Promise<void>, opts: { maxItems: number, maxDelayMs: number }): Batcher<T> {
  let queue: Array<Pending<T>> = []
  let timer: ReturnType<typeof setTimeout> | null = null
  let writing: Promise<void> = Promise.resolve()
  let closed = false

  function schedule (now: boolean): void {
    if (now || queue.length >= opts.maxItems) {
      void flush()
      return
    }
    timer ??= setTimeout(() => { void flush() }, opts.maxDelayMs)
  }

  function flush (): Promise<void> {
    if (timer) {
      clearTimeout(timer)
      timer = null
    }
    const batch = queue
    queue = []
    if (batch.length === 0) return writing
    // Batches are written one after another, in order.
    writing = writing.then(async () => {
      try {
        await write(batch.map((p) => p.item))
        for (const p of batch) p.resolve()
      } catch (err) {
        for (const p of batch) p.reject(err as Error)
      }
    })
    return writing
  }

  return {
    add (item, addOpts) {
      if (closed) return Promise.reject(new Error('batcher is closed'))
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        schedule(addOpts?.now === true)
      })
    },
    flush,
    async close () {
      closed = true
      await flush()
    }
  }
}
