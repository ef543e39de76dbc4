// The storage keeper with everything it talks to faked in memory: the corestore and its
// cores, the DHT, the holdings file, the announcer and the clock. A test moves time on
// itself and says which blocks arrive, so it runs in milliseconds and sees every call.
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import type { ExecutionContext } from 'ava'
import { STORAGE_PEER_DEFAULTS, type StoragePeerSettings } from '../../node/config/types.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import type { LogEvent } from '../../node/log-events.ts'
import type { Refused } from '../../node/protocol/refusals.ts'
import type { Announcer } from '../../node/storage/announcer.ts'
import type { HoldingEntry, Holdings } from '../../node/storage/holdings.ts'
import { createKeeper, type Follower, type Keeper, type KeeperStore, type KeptCore } from '../../node/storage/keeper.ts'
import type { LookupReply, SourceDht, SourceSocket } from '../../node/storage/sources.ts'
import { fakeClock, type FakeClock } from './fake-clock.ts'

export { settle } from './fake-clock.ts'

// One core as the node's store sees it, with every session the keeper opened on it.
export interface FakeCore {
  key: Uint8Array
  discoveryKey: Uint8Array
  length: number
  byteLength: number
  blocks: Set<number>
  blockBytes: number
  // Every session opened, and every download range asked for, in order.
  sessions: Array<KeptCore & { closed: boolean }>
  ranges: Array<{ destroyed: boolean }>
  cleared: boolean
}

export function coreKey (n: number): Uint8Array {
  return b4a.alloc(32, n)
}

export function hex (key: Uint8Array): string {
  return b4a.toString(key, 'hex')
}

export interface FakeStore {
  store: KeeperStore
  core (key: Uint8Array): FakeCore
  // Sessions open now, on every core or on this one.
  open (key?: Uint8Array): number
  // The most sessions ever open at once.
  mostOpen (): number
  compacted (): number
  // A peer shows the core's length (hypercore says so with 'append').
  grow (key: Uint8Array, length: number, blockBytes?: number): void
  // Blocks arrive ('download' on every open session).
  deliver (key: Uint8Array, indexes: Iterable<number>): void
}

export function fakeStore (): FakeStore {
  const cores = new Map<string, FakeCore>()
  const listeners = new Map<KeptCore, Map<string, Array<(index: number, byteLength: number) => void>>>()
  let mostOpen = 0
  let compacted = 0

  function core (key: Uint8Array): FakeCore {
    let c = cores.get(hex(key))
    if (!c) {
      c = { key, discoveryKey: crypto.discoveryKey(key), length: 0, byteLength: 0, blocks: new Set(), blockBytes: 100, sessions: [], ranges: [], cleared: false }
      cores.set(hex(key), c)
    }
    return c
  }

  function open (key?: Uint8Array): number {
    const list = key ? [core(key)] : [...cores.values()]
    return list.reduce((n, c) => n + c.sessions.filter((s) => !s.closed).length, 0)
  }

  function emit (c: FakeCore, event: string, ...args: number[]): void {
    for (const s of c.sessions) {
      if (s.closed) continue
      for (const fn of listeners.get(s)?.get(event) ?? []) fn(args[0], args[1])
    }
  }

  function session (c: FakeCore): KeptCore & { closed: boolean } {
    const s: KeptCore & { closed: boolean } = {
      key: c.key,
      discoveryKey: c.discoveryKey,
      get length () { return c.length },
      get contiguousLength () {
        let n = 0
        while (c.blocks.has(n)) n++
        return n
      },
      get byteLength () { return c.byteLength },
      peers: [],
      closed: false,
      ready: async () => {},
      download () {
        const range = { destroyed: false, destroy () { range.destroyed = true } }
        c.ranges.push(range)
        return range
      },
      on (event: string, fn: (index: number, byteLength: number) => void) {
        const mine = listeners.get(s) ?? new Map<string, Array<(index: number, byteLength: number) => void>>()
        listeners.set(s, mine)
        mine.set(event, [...(mine.get(event) ?? []), fn])
      },
      async close () { s.closed = true },
      async clear () {
        c.blocks.clear()
        c.cleared = true
      }
    }
    return s
  }

  return {
    store: {
      get ({ key }) {
        const c = core(key)
        const s = session(c)
        c.sessions.push(s)
        mostOpen = Math.max(mostOpen, open())
        return s
      },
      replicate: () => null,
      openCores: () => open(),
      compact: async () => { compacted++ }
    },
    core,
    open,
    mostOpen: () => mostOpen,
    compacted: () => compacted,
    grow (key, length, blockBytes = 100) {
      const c = core(key)
      c.length = length
      c.blockBytes = blockBytes
      c.byteLength = length * blockBytes
      emit(c, 'append')
    },
    deliver (key, indexes) {
      const c = core(key)
      for (const i of indexes) {
        c.blocks.add(i)
        emit(c, 'download', i, c.blockBytes)
      }
    }
  }
}

// The DHT: who announces which core, and every lookup and connection asked for.
export interface FakeDht {
  dht: SourceDht
  // Discovery keys looked up, in order (hex).
  lookups: string[]
  connections: Array<SourceSocket & { destroyed: boolean }>
  holders: Map<string, LookupReply['peers']>
}

export function fakeDht (): FakeDht {
  const lookups: string[] = []
  const connections: FakeDht['connections'] = []
  const holders = new Map<string, LookupReply['peers']>()
  return {
    lookups,
    connections,
    holders,
    dht: {
      lookup (topic) {
        lookups.push(hex(topic))
        const replies: LookupReply[] = [{ peers: holders.get(hex(topic)) ?? [] }]
        return {
          async * [Symbol.asyncIterator] () { yield * replies },
          destroy () {}
        }
      },
      connect () {
        const closeListeners: Array<() => void> = []
        const socket = {
          destroyed: false,
          on: () => socket,
          once (_event: 'close', fn: () => void) { closeListeners.push(fn); return socket },
          destroy () {
            socket.destroyed = true
            for (const fn of closeListeners) fn()
          }
        }
        connections.push(socket)
        return socket
      }
    }
  }
}

// A household device connected to the node; it follows the cores it keeps.
export interface FakeDevice extends Follower {
  disconnect (): void
}

export function fakeDevice (): FakeDevice {
  const closeListeners: Array<() => void> = []
  const device: FakeDevice = {
    destroyed: false,
    once (_event, fn) { closeListeners.push(fn) },
    disconnect () {
      device.destroyed = true
      for (const fn of closeListeners) fn()
    }
  }
  return device
}

export function fakeHoldings (initial: HoldingEntry[] = []): Holdings & { persisted: string[][] } {
  const entries = new Map(initial.map((e) => [e.key, e]))
  const persisted: string[][] = []
  return {
    persisted,
    get: (key) => entries.get(key),
    all: () => [...entries.values()],
    values: () => ({ [Symbol.iterator]: () => entries.values() }),
    size: () => entries.size,
    ofOwner: (owner) => [...entries.values()].filter((e) => e.owner === owner),
    usageOf (owner) {
      const mine = [...entries.values()].filter((e) => e.owner === owner)
      return { cores: mine.length, bytes: mine.reduce((n, e) => n + e.byteLength, 0) }
    },
    set (entry) { entries.set(entry.key, entry) },
    delete: (key) => entries.delete(key),
    persist (keys) { persisted.push(keys) },
    saveSoon () {},
    save () {},
    close () {}
  }
}

export function fakeAnnouncer (): Announcer & { topics: Set<string> } {
  const topics = new Set<string>()
  return {
    topics,
    add (dk) { topics.add(hex(dk)) },
    async remove (dk) { topics.delete(hex(dk)) },
    announced: () => topics.size,
    idle: async () => {},
    close () {}
  }
}

export const OWNER = b4a.alloc(32, 0xa1)

// A kept core's record, as the holdings file has it after a restart.
export function keptEntry (key: Uint8Array, fields: Partial<HoldingEntry> = {}): HoldingEntry {
  return {
    key: hex(key), owner: encodeKey(OWNER), evictable: false, addedAt: 1, length: 4,
    held: 4, byteLength: 400, lastSyncMs: 1, state: 'held', ...fields
  }
}

export interface KeeperUnderTest {
  keeper: Keeper
  clock: FakeClock
  cores: FakeStore
  dht: FakeDht
  holdings: ReturnType<typeof fakeHoldings>
  announcer: ReturnType<typeof fakeAnnouncer>
  events: Array<{ event: LogEvent, [field: string]: unknown }>
  diskChecks: () => number
}

export function startKeeper (t: ExecutionContext, settings: Partial<StoragePeerSettings> = {}, kept: HoldingEntry[] = []): KeeperUnderTest {
  const clock = fakeClock()
  const cores = fakeStore()
  const dht = fakeDht()
  const holdings = fakeHoldings(kept)
  const announcer = fakeAnnouncer()
  const events: KeeperUnderTest['events'] = []
  let diskChecks = 0
  const keeper = createKeeper({
    store: cores.store,
    dht: dht.dht,
    keyPair: { publicKey: b4a.alloc(32, 0xee), secretKey: b4a.alloc(64, 0xee) },
    holdings,
    announcer,
    settings: { ...STORAGE_PEER_DEFAULTS, ...settings },
    log: (event, fields) => { events.push({ event, ...fields }) },
    freeBytes: () => 10 * 1024 * 1024 * 1024,
    checkDisk: () => { diskChecks++ },
    clock
  })
  t.teardown(() => keeper.close())
  return { keeper, clock, cores, dht, holdings, announcer, events, diskChecks: () => diskChecks }
}

// A keep of a core the device has: the node learns its length as soon as it opens it.
export function keepFrom (k: KeeperUnderTest, device: Follower | null, key: Uint8Array, length = 4, fields: { evictable?: boolean, byteLength?: number } = {}): Promise<Refused | null> {
  k.cores.grow(key, length)
  return k.keeper.keep(OWNER, { key, length, byteLength: fields.byteLength ?? length * 100, evictable: fields.evictable ?? false }, device)
}

// The holding state the node reports for a core.
export function stateOf (k: KeeperUnderTest, key: Uint8Array): string | undefined {
  return k.keeper.holdings(OWNER, true, [key]).holdings[0]?.state
}
