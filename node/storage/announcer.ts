// Announces the discovery keys of held cores on the DHT under the node's own key, so a
// reader who knows a core finds the home node by looking the core up. A few at a
// time and at most PER_SECOND a second (1,000 cores must not flood the DHT at start),
// refreshed before the DHT's records expire.
import b4a from 'b4a'
import type HyperDHT from 'hyperdht'
import type { KeyPair } from '../identity/identity.ts'
import type { Logger } from '../log.ts'

const PARALLEL = 4
// Announcing 1,000 cores as fast as a loopback DHT answers left the restarted node at
// 79.5 MB RSS for good on Bare (the V8 heap grown for the burst was never given back);
// at 20 a second it settled at 66.3 MB, against 67.1 MB announcing nothing (measured).
// 1,000 cores are findable 50 s after a start, and one refresh round takes 50 s of
// every 10 minutes. On a real DHT an announce takes a second or more, so four at a time
// stay below this anyway.
const PER_SECOND = 20
// HyperDHT keeps an announcement for about 20 minutes; Hyperswarm refreshes every 10.
const REFRESH_MS = 10 * 60 * 1000

export interface Announcer {
  add (discoveryKey: Uint8Array): void
  remove (discoveryKey: Uint8Array): Promise<void>
  // Announced at least once since added.
  announced (): number
  // Resolves when nothing is waiting to be announced.
  idle (): Promise<void>
  close (): void
}

export function createAnnouncer (dht: HyperDHT, keyPair: KeyPair, relayAddresses: () => Array<{ host: string, port: number }>, log: Logger): Announcer {
  const topics = new Map<string, { dk: Uint8Array, announcedAt: number, queued: boolean }>()
  const queue: string[] = []
  let running = 0
  let closed = false
  let lastStart = 0
  let paced: ReturnType<typeof setTimeout> | null = null
  let waiters: Array<() => void> = []

  function pump (): void {
    while (!closed && running < PARALLEL && queue.length > 0) {
      const wait = lastStart + 1000 / PER_SECOND - Date.now()
      if (wait > 0) {
        paced ??= setTimeout(() => { paced = null; pump() }, wait)
        return
      }
      lastStart = Date.now()
      const id = queue.shift()!
      const topic = topics.get(id)
      if (!topic) continue
      topic.queued = false
      running++
      dht.announce(topic.dk, keyPair, relayAddresses()).finished().then(() => {
        topic.announcedAt = Date.now()
      }, (err: Error) => {
        if (!closed) log('announce-failed', { discoveryKey: id, reason: err.message })
      }).finally(() => {
        running--
        pump()
        if (running === 0 && queue.length === 0) {
          for (const w of waiters) w()
          waiters = []
        }
      })
    }
  }

  const refresher = setInterval(() => {
    const due = Date.now() - REFRESH_MS
    for (const [id, t] of topics) {
      if (t.announcedAt === 0 || t.announcedAt >= due || t.queued) continue
      t.queued = true
      queue.push(id)
    }
    pump()
  }, 30_000)
  refresher.unref?.()

  return {
    add (dk) {
      const id = b4a.toString(dk, 'hex')
      if (topics.has(id)) return
      topics.set(id, { dk, announcedAt: 0, queued: true })
      queue.push(id)
      pump()
    },
    async remove (dk) {
      const id = b4a.toString(dk, 'hex')
      if (!topics.delete(id)) return
      await dht.unannounce(dk, keyPair).catch(() => {})
    },
    announced () {
      let n = 0
      for (const t of topics.values()) if (t.announcedAt !== 0) n++
      return n
    },
    idle () {
      if (running === 0 && queue.length === 0) return Promise.resolve()
      return new Promise((resolve) => waiters.push(resolve))
    },
    close () {
      closed = true
      clearInterval(refresher)
      if (paced) clearTimeout(paced)
      queue.length = 0
      for (const w of waiters) w()
      waiters = []
    }
  }
}
