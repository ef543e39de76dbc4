// Wire format of the storage requests on the control channel: pairing with an invite,
// asking the node to keep or drop a core, and reading back what it holds. Every
// request is answered by `done` or by a refusal (protocol.ts) naming the reason.
import * as c from 'compact-encoding'
import { NodeError } from '../errors.ts'

interface State { start: number, end: number, buffer: Uint8Array | null }
interface Encoder<T> {
  preencode (state: State, value: T): void
  encode (state: State, value: T): void
  decode (state: State): T
}

export interface PairRequest { id: number, secret: Uint8Array }

export interface KeepRequest {
  id: number
  key: Uint8Array
  // What the client knows of the core; the node refuses up front what cannot fit.
  length: number
  byteLength: number
  // The owner allows the node to drop this core to make room for others.
  evictable: boolean
}

export interface DropRequest { id: number, key: Uint8Array }

// Only these cores, when any are named: a client waiting for one core to be held asks
// for that one, not for the thousand its owner may keep.
export interface HoldingsRequest { id: number, keys: Uint8Array[] }

export interface Done { id: number }

export const HOLDING_STATES = ['syncing', 'held', 'waiting', 'over-quota', 'disk-full'] as const
export type HoldingState = typeof HOLDING_STATES[number]

export interface Holding {
  key: Uint8Array
  owner: Uint8Array
  // The length the node knows of, and how many blocks from the start it holds.
  length: number
  held: number
  byteLength: number
  // When the node last held every block it knew of; 0 for never.
  lastSyncMs: number
  evictable: boolean
  state: HoldingState
}

export interface StorageUsage { cores: number, bytes: number, coresLimit: number, bytesLimit: number }

export interface HoldingsReply { id: number, holdings: Holding[], usage: StorageUsage }

export interface StorageStatus {
  cores: number
  bytes: number
  budgetBytes: number
  openCores: number
  // Kept cores announced on the DHT at least once since the node started.
  announced: number
  syncing: number
  diskFull: boolean
}

const idOnly: Encoder<{ id: number }> = {
  preencode (state, m) { c.uint.preencode(state, m.id) },
  encode (state, m) { c.uint.encode(state, m.id) },
  decode (state) { return { id: c.uint.decode(state) } }
}

export const done: Encoder<Done> = idOnly

const keyList = c.array(c.fixed32)

export const holdingsRequest: Encoder<HoldingsRequest> = {
  preencode (state, m) { c.uint.preencode(state, m.id); keyList.preencode(state, m.keys) },
  encode (state, m) { c.uint.encode(state, m.id); keyList.encode(state, m.keys) },
  decode (state) { return { id: c.uint.decode(state), keys: keyList.decode(state) } }
}

export const pairRequest: Encoder<PairRequest> = {
  preencode (state, m) { c.uint.preencode(state, m.id); c.fixed32.preencode(state, m.secret) },
  encode (state, m) { c.uint.encode(state, m.id); c.fixed32.encode(state, m.secret) },
  decode (state) { return { id: c.uint.decode(state), secret: c.fixed32.decode(state) } }
}

export const keepRequest: Encoder<KeepRequest> = {
  preencode (state, m) {
    c.uint.preencode(state, m.id); c.fixed32.preencode(state, m.key)
    c.uint.preencode(state, m.length); c.uint.preencode(state, m.byteLength); c.bool.preencode(state, m.evictable)
  },
  encode (state, m) {
    c.uint.encode(state, m.id); c.fixed32.encode(state, m.key)
    c.uint.encode(state, m.length); c.uint.encode(state, m.byteLength); c.bool.encode(state, m.evictable)
  },
  decode (state) {
    return { id: c.uint.decode(state), key: c.fixed32.decode(state), length: c.uint.decode(state), byteLength: c.uint.decode(state), evictable: c.bool.decode(state) }
  }
}

export const dropRequest: Encoder<DropRequest> = {
  preencode (state, m) { c.uint.preencode(state, m.id); c.fixed32.preencode(state, m.key) },
  encode (state, m) { c.uint.encode(state, m.id); c.fixed32.encode(state, m.key) },
  decode (state) { return { id: c.uint.decode(state), key: c.fixed32.decode(state) } }
}

const holding: Encoder<Holding> = {
  preencode (state, h) {
    c.fixed32.preencode(state, h.key); c.fixed32.preencode(state, h.owner)
    c.uint.preencode(state, h.length); c.uint.preencode(state, h.held); c.uint.preencode(state, h.byteLength)
    c.uint.preencode(state, h.lastSyncMs); c.bool.preencode(state, h.evictable); c.uint.preencode(state, 0)
  },
  encode (state, h) {
    c.fixed32.encode(state, h.key); c.fixed32.encode(state, h.owner)
    c.uint.encode(state, h.length); c.uint.encode(state, h.held); c.uint.encode(state, h.byteLength)
    c.uint.encode(state, h.lastSyncMs); c.bool.encode(state, h.evictable); c.uint.encode(state, HOLDING_STATES.indexOf(h.state))
  },
  decode (state) {
    const h = {
      key: c.fixed32.decode(state),
      owner: c.fixed32.decode(state),
      length: c.uint.decode(state),
      held: c.uint.decode(state),
      byteLength: c.uint.decode(state),
      lastSyncMs: c.uint.decode(state),
      evictable: c.bool.decode(state)
    }
    const s = HOLDING_STATES[c.uint.decode(state)]
    if (s === undefined) throw NodeError.MALFORMED('holding state')
    return { ...h, state: s }
  }
}
const holdings = c.array(holding)

const usage: Encoder<StorageUsage> = {
  preencode (state, u) { for (const k of USAGE_FIELDS) c.uint.preencode(state, u[k]) },
  encode (state, u) { for (const k of USAGE_FIELDS) c.uint.encode(state, u[k]) },
  decode (state) {
    const u = {} as StorageUsage
    for (const k of USAGE_FIELDS) u[k] = c.uint.decode(state)
    return u
  }
}
const USAGE_FIELDS = ['cores', 'bytes', 'coresLimit', 'bytesLimit'] as const

export const holdingsReply: Encoder<HoldingsReply> = {
  preencode (state, m) { c.uint.preencode(state, m.id); holdings.preencode(state, m.holdings); usage.preencode(state, m.usage) },
  encode (state, m) { c.uint.encode(state, m.id); holdings.encode(state, m.holdings); usage.encode(state, m.usage) },
  decode (state) { return { id: c.uint.decode(state), holdings: holdings.decode(state), usage: usage.decode(state) } }
}

const STORAGE_COUNTERS = ['cores', 'bytes', 'budgetBytes', 'openCores', 'syncing', 'announced'] as const

// A leading 0 means no storage role; 1 storage with disk space; 2 a full disk.
export const optionalStorageStatus: Encoder<StorageStatus | null> = {
  preencode (state, s) {
    c.uint.preencode(state, s === null ? 0 : s.diskFull ? 2 : 1)
    if (s) for (const k of STORAGE_COUNTERS) c.uint.preencode(state, s[k])
  },
  encode (state, s) {
    c.uint.encode(state, s === null ? 0 : s.diskFull ? 2 : 1)
    if (s) for (const k of STORAGE_COUNTERS) c.uint.encode(state, s[k])
  },
  decode (state) {
    const tag = c.uint.decode(state)
    if (tag === 0) return null
    if (tag > 2) throw NodeError.MALFORMED('storage status')
    const s = { diskFull: tag === 2 } as StorageStatus
    for (const k of STORAGE_COUNTERS) s[k] = c.uint.decode(state)
    return s
  }
}
