// Wire format of the health request: what `roost fleet status` asks every node of a fleet,
// answered only for the node's operator key (anyone else is refused NOT_OPERATOR). The
// health is extendable (codec.ts): a later roost appends fields after the last and
// raises the format number (2 added `lanIngest`), and this roost still reads the fields
// it knows. Each message is its interface and its field table, in wire order (codec.ts).
import c from 'compact-encoding'
import type { ProcessMemory } from '../platform/types.ts'
import { extendable, maybe, optionalWithFlag, struct } from './codec.ts'
import { optionalLanIngestStatus, type LanIngestStatus } from './lan-messages.ts'
import type { FeedSummary, NodeStatus } from './messages.ts'

export type { ProcessMemory }

export interface HealthRequest { id: number }

export const healthRequest = struct<HealthRequest>('health request', [['id', c.uint]])

export interface BrokerHealth {
  connected: boolean
  reconnects: number
  // The code of the broker error logged last (ECONNREFUSED, BROKER_NOT_AUTHORIZED...).
  lastErrorCode: string | null
}

// A leading 0 means no broker; 1 a disconnected one; 2 a connected one.
const optionalBroker = optionalWithFlag<BrokerHealth, 'connected'>('broker health', 'connected', [
  ['reconnects', c.uint], ['lastErrorCode', maybe('broker error code', c.string)]
])

// One error event the node logged: its name, its code when it has one, and when. Never
// its message or other fields, which may name topics, paths or peers.
export interface RecentError { event: string, code: string | null, atMs: number }

const recentError = struct<RecentError>('recent error', [
  ['event', c.string], ['code', maybe('error code', c.string)], ['atMs', c.uint]
])

const feedSummary = struct<FeedSummary>('feed summary', [['name', c.string], ['length', c.uint]])

const processMemory = struct<ProcessMemory>('process memory', [
  ['rssBytes', c.uint], ['peakRssBytes', c.uint], ['heapUsedBytes', c.uint], ['heapTotalBytes', c.uint]
])

// What the node's status says of it too; first on the wire, in this order.
export type NodeFacts = Pick<NodeStatus, 'version' | 'boardId' | 'host' | 'runtime' | 'roles' | 'uptimeMs'>

export interface NodeHealth extends NodeFacts {
  // The node's data folder against the storage budget of its board.
  dataBytes: number
  budgetBytes: number
  // Null without the storage role.
  coresKept: number | null
  // Null without the bridge role.
  feeds: FeedSummary[] | null
  broker: BrokerHealth | null
  // Oldest first, at most a few (recent-errors.ts).
  errors: RecentError[]
  memory: ProcessMemory
  // Format 2: null without the lan-ingest role, and from a node of format 1.
  lanIngest: LanIngestStatus | null
}

const nodeHealth = extendable<NodeHealth>('node health', [
  ['version', c.string], ['boardId', c.string], ['host', c.string], ['runtime', c.string], ['roles', c.array(c.string)],
  ['uptimeMs', c.uint], ['dataBytes', c.uint], ['budgetBytes', c.uint], ['coresKept', maybe('cores kept', c.uint)],
  ['feeds', maybe('feeds', c.array(feedSummary))], ['broker', optionalBroker], ['errors', c.array(recentError)],
  ['memory', processMemory], ['lanIngest', optionalLanIngestStatus]
], [{ format: 2, absent: { lanIngest: null } }])

// The health goes last: it is extendable, and only a message's trailing bytes may be new.
export interface HealthReply { id: number, health: NodeHealth }

export const healthReply = struct<HealthReply>('health reply', [['id', c.uint], ['health', nodeHealth]])
