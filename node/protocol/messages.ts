// Wire format of roost's control channel: a protomux channel on the same encrypted
// stream that replication uses. Anyone may ping; requests that read or change the
// node's state are answered only for trusted keys. Each message is its interface and
// its field table, in wire order (codec.ts); the storage requests are in
// storage-messages.ts.
import c from 'compact-encoding'
import { optionalWithFlag, struct, withTrailing, type Fields } from './codec.ts'
import { optionalLanIngestStatus, type LanIngestStatus } from './lan-messages.ts'
import { optionalNetworkStatus, type NetworkStatus } from './network-messages.ts'
import { optionalRelayStatus, type RelayStatus } from './relay-messages.ts'
import { optionalStorageStatus, type StorageStatus } from './storage-messages.ts'

export const PROTOCOL = 'roost/control/v1'

// A ping's id is its sequence number; the pong echoes the ping.
export interface Ping { id: number }

export const ping = struct<Ping>('ping', [['id', c.uint]])

export interface StatusRequest { id: number }

export const statusRequest = struct<StatusRequest>('status request', [['id', c.uint]])

export interface BridgeStatus {
  connected: boolean
  received: number
  stored: number
  decodeErrors: number
  oversized: number
  duplicates: number
  retainedUnchanged: number
  reconnects: number
}

// A leading 0 means no bridge; 1 a disconnected bridge; 2 a connected one.
const optionalBridge = optionalWithFlag<BridgeStatus, 'connected'>('bridge status', 'connected', [
  ['received', c.uint], ['stored', c.uint], ['decodeErrors', c.uint], ['oversized', c.uint],
  ['duplicates', c.uint], ['retainedUnchanged', c.uint], ['reconnects', c.uint]
])

// `length`: readings in the feed; a block holds many (node/feeds/block.ts).
export interface FeedSummary { name: string, length: number }

const feedSummary = struct<FeedSummary>('feed summary', [['name', c.string], ['length', c.uint]])

export interface NodeStatus {
  publicKey: Uint8Array
  version: string
  boardId: string
  host: string
  runtime: string
  roles: string[]
  uptimeMs: number
  storageBytes: number
  connections: number
  feeds: FeedSummary[]
  bridge: BridgeStatus | null
  storage: StorageStatus | null
  // Appended after the status of roost 0.1 (codec.ts withTrailing): null without the
  // role, and in the reply of a node from before it.
  lanIngest: LanIngestStatus | null
  relay: RelayStatus | null
  // What the node sees of its network (`roost doctor`); null only from a node before it.
  network: NetworkStatus | null
}

// Exported for the test that reads a newer reply as an older roost does.
export const NODE_STATUS_FIELDS: Fields<NodeStatus> = [
  ['publicKey', c.fixed32], ['version', c.string], ['boardId', c.string], ['host', c.string], ['runtime', c.string],
  ['roles', c.array(c.string)], ['uptimeMs', c.uint], ['storageBytes', c.uint], ['connections', c.uint],
  ['feeds', c.array(feedSummary)], ['bridge', optionalBridge], ['storage', optionalStorageStatus]
]

// In the order they were appended: a new one goes last.
export const NODE_STATUS_APPENDED: Fields<NodeStatus> = [
  ['lanIngest', optionalLanIngestStatus], ['relay', optionalRelayStatus], ['network', optionalNetworkStatus]
]

const nodeStatus = withTrailing<NodeStatus>('node status', NODE_STATUS_FIELDS, NODE_STATUS_APPENDED)

export interface StatusReply { id: number, status: NodeStatus }

export const statusReply = struct<StatusReply>('status reply', [['id', c.uint], ['status', nodeStatus]])

export interface FeedsRequest { id: number }

export const feedsRequest = struct<FeedsRequest>('feeds request', [['id', c.uint]])

// `length` in readings, `byteLength` of the core's blocks.
export interface FeedEntry { name: string, key: Uint8Array, length: number, byteLength: number }

const feedEntry = struct<FeedEntry>('feed entry', [['name', c.string], ['key', c.fixed32], ['length', c.uint], ['byteLength', c.uint]])

// The feed key lets a trusted reader decrypt; only trusted keys ever receive it.
export interface FeedsReply { id: number, feedKey: Uint8Array, feeds: FeedEntry[] }

export const feedsReply = struct<FeedsReply>('feeds reply', [['id', c.uint], ['feedKey', c.fixed32], ['feeds', c.array(feedEntry)]])

export interface PublishRequest { id: number, topic: string, payload: Uint8Array, qos: number }

export const publishRequest = struct<PublishRequest>('publish request', [
  ['id', c.uint], ['topic', c.string], ['payload', c.buffer], ['qos', c.uint]
])

export interface PublishReply { id: number }

export const publishReply = struct<PublishReply>('publish reply', [['id', c.uint]])

// A refusal as sent: refusals.ts lists every code.
export interface RefusalMessage { id: number, code: string, message: string }

export const refusal = struct<RefusalMessage>('refusal', [['id', c.uint], ['code', c.string], ['message', c.string]])
