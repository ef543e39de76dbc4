// A household device keeping many small cores on a node at once, as the bench and the
// scale tests make one do: the load that shows what the storage peer's slots, memory
// and announcements do at 1,000 cores.
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import type { StorageStatus } from '../../node/protocol/storage-messages.ts'
import type { NodeSession } from '../client/connect.ts'
import type { ClientStore } from '../client/store.ts'
import { sleep } from './wait.ts'

export interface KeepSample { atMs: number, storage: StorageStatus, clientOpened: number }
export interface KeptCores { keptMs: number, samples: KeepSample[], lengths: Map<string, number> }

// Keeps `count` small encrypted cores on a node the way `roost keep` does for each: open
// it (here: create it with 1-3 blocks), serve it over the session's socket (the caller
// replicates `store` on it), ask the node to keep it, wait until the node holds every
// block, close it. `inFlight` keeps run at once; the node's storage status is sampled
// every 250 ms meanwhile.
export async function keepSmallCores (session: NodeSession, store: ClientStore, opts: { count: number, inFlight: number, namePrefix: string }): Promise<KeptCores> {
  const lengths = new Map<string, number>()
  const samples: KeepSample[] = []
  let keeping = true
  const sampler = (async () => {
    while (keeping) {
      const storage = (await session.control.status()).storage!
      samples.push({ atMs: Date.now(), storage, clientOpened: lengths.size })
      await sleep(250)
    }
  })()
  // A status request that times out (a node short of memory) ends the sampling; awaited
  // below, but handled now: the keeps may still be running when it fails, and an
  // unhandled rejection would end the whole process (the bench, with every figure).
  sampler.catch(() => {})
  const held = heldWatcher(session)
  const started = Date.now()
  let next = 0
  const keepOne = async (i: number): Promise<void> => {
    const core = store.get({ name: `${opts.namePrefix}/${i}`, encryption: { key: crypto.randomBytes(32) } })
    await core.ready()
    await core.append(Array.from({ length: 1 + i % 3 }, (_, j) => b4a.from(`core ${i} block ${j} `.repeat(16))))
    lengths.set(b4a.toString(core.key, 'hex'), core.length)
    await session.control.keep({ key: core.key, length: core.length, byteLength: core.byteLength, evictable: false })
    await held.wait(core.key, core.length)
    await core.close()
  }
  try {
    await Promise.all(Array.from({ length: opts.inFlight }, async () => {
      while (next < opts.count) await keepOne(next++)
    }))
  } finally {
    keeping = false
    held.stop()
    await sampler.catch(() => {})
  }
  return { keptMs: Date.now() - started, samples, lengths }
}

// One holdings request at a time answers every keep that waits for its core to be held:
// one request per waiting keep would ask for all 1,000 entries 16 times over.
function heldWatcher (session: NodeSession): { wait (key: Uint8Array, length: number): Promise<void>, stop (): void } {
  const waiters = new Map<string, { length: number, resolve: () => void, reject: (err: Error) => void }>()
  let stopped = false
  const poll = async (): Promise<void> => {
    while (!stopped) {
      if (waiters.size > 0) {
        try {
          const { holdings } = await session.control.holdings([...waiters.keys()].map((id) => b4a.from(id, 'hex')))
          for (const h of holdings) {
            const id = b4a.toString(h.key, 'hex')
            const w = waiters.get(id)
            if (w && h.held >= w.length) {
              waiters.delete(id)
              w.resolve()
            }
          }
        } catch (err) {
          for (const w of waiters.values()) w.reject(err as Error)
          waiters.clear()
        }
      }
      await sleep(200)
    }
  }
  void poll()
  return {
    wait: (key, length) => new Promise((resolve, reject) => waiters.set(b4a.toString(key, 'hex'), { length, resolve, reject })),
    stop () { stopped = true }
  }
}
