// The lan-ingest role's counters as the node's status and health carry them: what it
// received from agents, stored, acknowledged, and dropped for each reason. Each
// message is its interface and its field table, in wire order (codec.ts).
import c from 'compact-encoding'
import { optionalWithFlag, type Codec } from './codec.ts'

// Why a datagram was dropped, in wire order: a new reason goes last. The order of the
// checks in node/lan/ingest.ts: size and kind, device, tag, sequence number, record,
// route, window, and the bound on readings being stored. An unrouted-topic reading is
// acknowledged all the same, and a too-old one answered with an empty acknowledgement
// (docs/decisions/lan-ingest-wire.md).
export const DROP_REASONS = [
  'oversized', 'truncated', 'unknown-kind', 'unknown-device', 'bad-tag', 'bad-sequence', 'bad-record',
  'unrouted-topic', 'too-old', 'far-future', 'overloaded'
] as const
export type DropReason = typeof DROP_REASONS[number]

export interface LanIngestStatus {
  listening: boolean
  // Agent devices known now (config and agents/ together).
  devices: number
  // Datagrams, whatever they held.
  received: number
  // Readings appended to their feeds and acknowledged.
  stored: number
  // Readings sent again: acknowledged again, not stored again.
  duplicates: number
  decodeErrors: number
  // Readings whose append failed: not acknowledged, so the agent sends them again.
  notStored: number
  acksSent: number
  dropped: Record<DropReason, number>
}

// A count per reason in DROP_REASONS order; a later roost's extra reasons are left out.
const dropped: Codec<Record<DropReason, number>> = {
  preencode (state, counts) { c.array(c.uint).preencode(state, DROP_REASONS.map((r) => counts[r])) },
  encode (state, counts) { c.array(c.uint).encode(state, DROP_REASONS.map((r) => counts[r])) },
  decode (state) {
    const counts = c.array(c.uint).decode(state) as number[]
    return Object.fromEntries(DROP_REASONS.map((r, i) => [r, counts[i] ?? 0])) as Record<DropReason, number>
  }
}

// A leading 0 means no lan-ingest role; 1 one that is not listening; 2 one that is.
export const optionalLanIngestStatus = optionalWithFlag<LanIngestStatus, 'listening'>('lan ingest status', 'listening', [
  ['devices', c.uint], ['received', c.uint], ['stored', c.uint], ['duplicates', c.uint], ['decodeErrors', c.uint],
  ['notStored', c.uint], ['acksSent', c.uint], ['dropped', dropped]
])
