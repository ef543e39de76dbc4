// Wire format of the storage requests on the control channel: pairing with an invite,
// asking the node to keep or drop a core, and reading back what it holds. Every
// request is answered by `done` or by a refusal (refusals.ts) naming the reason. Each
// message is its interface and its field table, in wire order (codec.ts).
import c from 'compact-encoding'
import { oneOf, optionalWithFlag, struct } from './codec.ts'

export interface PairRequest { id: number, secret: Uint8Array }

export const pairRequest = struct<PairRequest>('pair request', [['id', c.uint], ['secret', c.fixed32]])

export interface KeepRequest {
  id: number
  key: Uint8Array
  // What the client knows of the core; the node refuses up front what cannot fit.
  length: number
  byteLength: number
  // The owner allows the node to drop this core to make room for others.
  evictable: boolean
}

export const keepRequest = struct<KeepRequest>('keep request', [
  ['id', c.uint], ['key', c.fixed32], ['length', c.uint], ['byteLength', c.uint], ['evictable', c.bool]
])

export interface DropRequest { id: number, key: Uint8Array }

export const dropRequest = struct<DropRequest>('drop request', [['id', c.uint], ['key', c.fixed32]])

// Only these cores, when any are named: a client waiting for one core to be held asks
// for that one, not for the thousand its owner may keep.
export interface HoldingsRequest { id: number, keys: Uint8Array[] }

export const holdingsRequest = struct<HoldingsRequest>('holdings request', [['id', c.uint], ['keys', c.array(c.fixed32)]])

export interface Done { id: number }

export const done = struct<Done>('done', [['id', c.uint]])

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

const holding = struct<Holding>('holding', [
  ['key', c.fixed32], ['owner', c.fixed32], ['length', c.uint], ['held', c.uint], ['byteLength', c.uint],
  ['lastSyncMs', c.uint], ['evictable', c.bool], ['state', oneOf('holding state', HOLDING_STATES)]
])

export interface StorageUsage { cores: number, bytes: number, coresLimit: number, bytesLimit: number }

const storageUsage = struct<StorageUsage>('storage usage', [
  ['cores', c.uint], ['bytes', c.uint], ['coresLimit', c.uint], ['bytesLimit', c.uint]
])

export interface HoldingsReply { id: number, holdings: Holding[], usage: StorageUsage }

export const holdingsReply = struct<HoldingsReply>('holdings reply', [
  ['id', c.uint], ['holdings', c.array(holding)], ['usage', storageUsage]
])

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

// In a node's status: a leading 0 means no storage role; 1 storage with disk space; 2 a
// full disk. `syncing` goes before `announced` on the wire.
export const optionalStorageStatus = optionalWithFlag<StorageStatus, 'diskFull'>('storage status', 'diskFull', [
  ['cores', c.uint], ['bytes', c.uint], ['budgetBytes', c.uint], ['openCores', c.uint], ['syncing', c.uint], ['announced', c.uint]
])
