// Wire format of roost's control channel: a protomux channel on the same encrypted
// stream that replication uses. Anyone may ping; requests that read or change the
// node's state are answered only for trusted keys.
import * as c from 'compact-encoding'
import { optionalStorageStatus, type StorageStatus } from './storage-messages.ts'
import { NodeError } from '../errors.ts'

export const PROTOCOL = 'roost/control/v1'

interface State { start: number, end: number, buffer: Uint8Array | null }
interface Encoder<T> {
  preencode (state: State, value: T): void
  encode (state: State, value: T): void
  decode (state: State): T
}

export interface Ping { seq: number }

export interface StatusRequest { id: number }

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
  feeds: Array<{ name: string, length: number }>
  bridge: BridgeStatus | null
  storage: StorageStatus | null
}

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

export interface FeedsRequest { id: number }

export interface FeedEntry { name: string, key: Uint8Array, length: number, byteLength: number }

// The feed key lets a trusted reader decrypt; only trusted keys ever receive it.
export interface FeedsReply { id: number, feedKey: Uint8Array, feeds: FeedEntry[] }

export interface PublishRequest { id: number, topic: string, payload: Uint8Array, qos: number }

export interface PublishReply { id: number }

export interface StatusReply { id: number, status: NodeStatus }

// A refusal as sent: protocol/refusals.ts lists every code.
export interface RefusalMessage { id: number, code: string, message: string }

export const ping: Encoder<Ping> = {
  preencode (state, m) { c.uint.preencode(state, m.seq) },
  encode (state, m) { c.uint.encode(state, m.seq) },
  decode (state) { return { seq: c.uint.decode(state) } }
}

export const statusRequest: Encoder<StatusRequest> = {
  preencode (state, m) { c.uint.preencode(state, m.id) },
  encode (state, m) { c.uint.encode(state, m.id) },
  decode (state) { return { id: c.uint.decode(state) } }
}

const stringArray = c.array(c.string)

const feedSummary: Encoder<{ name: string, length: number }> = {
  preencode (state, f) { c.string.preencode(state, f.name); c.uint.preencode(state, f.length) },
  encode (state, f) { c.string.encode(state, f.name); c.uint.encode(state, f.length) },
  decode (state) { return { name: c.string.decode(state), length: c.uint.decode(state) } }
}
const feedSummaries = c.array(feedSummary)

const BRIDGE_COUNTERS = ['received', 'stored', 'decodeErrors', 'oversized', 'duplicates', 'retainedUnchanged', 'reconnects'] as const

// A leading 0 means no bridge; 1 a disconnected bridge; 2 a connected one.
const optionalBridge: Encoder<BridgeStatus | null> = {
  preencode (state, b) {
    c.uint.preencode(state, b === null ? 0 : b.connected ? 2 : 1)
    if (b) for (const k of BRIDGE_COUNTERS) c.uint.preencode(state, b[k])
  },
  encode (state, b) {
    c.uint.encode(state, b === null ? 0 : b.connected ? 2 : 1)
    if (b) for (const k of BRIDGE_COUNTERS) c.uint.encode(state, b[k])
  },
  decode (state) {
    const tag = c.uint.decode(state)
    if (tag === 0) return null
    if (tag > 2) throw NodeError.MALFORMED('bridge status')
    const b = { connected: tag === 2 } as BridgeStatus
    for (const k of BRIDGE_COUNTERS) b[k] = c.uint.decode(state)
    return b
  }
}

const feedEntry: Encoder<FeedEntry> = {
  preencode (state, f) { c.string.preencode(state, f.name); c.fixed32.preencode(state, f.key); c.uint.preencode(state, f.length); c.uint.preencode(state, f.byteLength) },
  encode (state, f) { c.string.encode(state, f.name); c.fixed32.encode(state, f.key); c.uint.encode(state, f.length); c.uint.encode(state, f.byteLength) },
  decode (state) { return { name: c.string.decode(state), key: c.fixed32.decode(state), length: c.uint.decode(state), byteLength: c.uint.decode(state) } }
}
const feedEntries = c.array(feedEntry)

export const feedsRequest: Encoder<FeedsRequest> = statusRequestLike()

export const feedsReply: Encoder<FeedsReply> = {
  preencode (state, m) { c.uint.preencode(state, m.id); c.fixed32.preencode(state, m.feedKey); feedEntries.preencode(state, m.feeds) },
  encode (state, m) { c.uint.encode(state, m.id); c.fixed32.encode(state, m.feedKey); feedEntries.encode(state, m.feeds) },
  decode (state) { return { id: c.uint.decode(state), feedKey: c.fixed32.decode(state), feeds: feedEntries.decode(state) } }
}

export const publishRequest: Encoder<PublishRequest> = {
  preencode (state, m) { c.uint.preencode(state, m.id); c.string.preencode(state, m.topic); c.buffer.preencode(state, m.payload); c.uint.preencode(state, m.qos) },
  encode (state, m) { c.uint.encode(state, m.id); c.string.encode(state, m.topic); c.buffer.encode(state, m.payload); c.uint.encode(state, m.qos) },
  decode (state) {
    return { id: c.uint.decode(state), topic: c.string.decode(state), payload: c.buffer.decode(state) ?? new Uint8Array(0), qos: c.uint.decode(state) }
  }
}

export const publishReply: Encoder<PublishReply> = statusRequestLike()

function statusRequestLike (): Encoder<{ id: number }> {
  return {
    preencode (state, m) { c.uint.preencode(state, m.id) },
    encode (state, m) { c.uint.encode(state, m.id) },
    decode (state) { return { id: c.uint.decode(state) } }
  }
}

const nodeStatus: Encoder<NodeStatus> = {
  preencode (state, s) {
    c.fixed32.preencode(state, s.publicKey)
    c.string.preencode(state, s.version)
    c.string.preencode(state, s.boardId)
    c.string.preencode(state, s.host)
    c.string.preencode(state, s.runtime)
    stringArray.preencode(state, s.roles)
    c.uint.preencode(state, s.uptimeMs)
    c.uint.preencode(state, s.storageBytes)
    c.uint.preencode(state, s.connections)
    feedSummaries.preencode(state, s.feeds)
    optionalBridge.preencode(state, s.bridge)
    optionalStorageStatus.preencode(state, s.storage)
  },
  encode (state, s) {
    c.fixed32.encode(state, s.publicKey)
    c.string.encode(state, s.version)
    c.string.encode(state, s.boardId)
    c.string.encode(state, s.host)
    c.string.encode(state, s.runtime)
    stringArray.encode(state, s.roles)
    c.uint.encode(state, s.uptimeMs)
    c.uint.encode(state, s.storageBytes)
    c.uint.encode(state, s.connections)
    feedSummaries.encode(state, s.feeds)
    optionalBridge.encode(state, s.bridge)
    optionalStorageStatus.encode(state, s.storage)
  },
  decode (state) {
    return {
      publicKey: c.fixed32.decode(state),
      version: c.string.decode(state),
      boardId: c.string.decode(state),
      host: c.string.decode(state),
      runtime: c.string.decode(state),
      roles: stringArray.decode(state),
      uptimeMs: c.uint.decode(state),
      storageBytes: c.uint.decode(state),
      connections: c.uint.decode(state),
      feeds: feedSummaries.decode(state),
      bridge: optionalBridge.decode(state),
      storage: optionalStorageStatus.decode(state)
    }
  }
}

export const statusReply: Encoder<StatusReply> = {
  preencode (state, m) { c.uint.preencode(state, m.id); nodeStatus.preencode(state, m.status) },
  encode (state, m) { c.uint.encode(state, m.id); nodeStatus.encode(state, m.status) },
  decode (state) { return { id: c.uint.decode(state), status: nodeStatus.decode(state) } }
}

export const refusal: Encoder<RefusalMessage> = {
  preencode (state, m) { c.uint.preencode(state, m.id); c.string.preencode(state, m.code); c.string.preencode(state, m.message) },
  encode (state, m) { c.uint.encode(state, m.id); c.string.encode(state, m.code); c.string.encode(state, m.message) },
  decode (state) { return { id: c.uint.decode(state), code: c.string.decode(state), message: c.string.decode(state) } }
}
