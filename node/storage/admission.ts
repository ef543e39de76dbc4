// Whether a keep request is let in: a plausible size, room on the disk, the owner's
// limits on bytes and cores, and the node's total budget. To fit the budget the node
// may drop cores whose owners marked them evictable (least recently synced first),
// never any other.
import { Refusal, type Refused } from '../protocol/refusals.ts'
import type { KeepRequest } from '../protocol/storage-messages.ts'
import type { HoldingEntry } from './holdings.ts'

// No core has 2^32 blocks; a request claiming more is broken or hostile.
const MAX_LENGTH = 2 ** 32
const MAX_BYTES = 2 ** 50

export interface Limits { quotaBytes: number, quotaCores: number, budgetBytes: number }

export interface KeepAsk { key: string, owner: string, byteLength: number }

export interface Disk {
  full: boolean
  // Free bytes above the reserve; asked only when the disk is not full.
  room (): number
}

export type QuotaDecision =
  | { ok: true, evict: HoldingEntry[] }
  | { ok: false, refused: Refused }

export function implausible (request: Pick<KeepRequest, 'length' | 'byteLength'>): Refused | null {
  if (request.length > MAX_LENGTH || request.byteLength > MAX_BYTES) {
    return Refusal.BAD_REQUEST(`a core of ${request.length} blocks and ${request.byteLength} bytes is not plausible`)
  }
  return null
}

// A core the node does not keep yet: it must fit the disk as well as the limits.
export function admitNew (ask: KeepAsk, disk: Disk, held: Iterable<HoldingEntry>, limits: Limits): QuotaDecision {
  if (disk.full) return { ok: false, refused: Refusal.DISK_FULL() }
  const room = disk.room()
  if (ask.byteLength > room) return { ok: false, refused: Refusal.NO_ROOM(room, ask.byteLength) }
  return decideKeep(ask, held, limits)
}

// Reads `held` without copying it (a second time only to pick cores to evict): a node
// asked to keep its thousandth core does this for every request.
export function decideKeep (ask: KeepAsk, held: Iterable<HoldingEntry>, limits: Limits): QuotaDecision {
  let mineCount = 0
  let myBytes = 0
  let total = 0
  for (const e of held) {
    if (e.key === ask.key) continue
    total += e.byteLength
    if (e.owner === ask.owner) {
      mineCount++
      myBytes += e.byteLength
    }
  }
  if (mineCount + 1 > limits.quotaCores) {
    return { ok: false, refused: Refusal.QUOTA_CORES(limits.quotaCores, mineCount) }
  }
  if (myBytes + ask.byteLength > limits.quotaBytes) {
    return { ok: false, refused: Refusal.QUOTA_BYTES(ask.byteLength, myBytes, limits.quotaBytes) }
  }
  const evict: HoldingEntry[] = []
  if (total + ask.byteLength > limits.budgetBytes) {
    const candidates = [...held].filter((e) => e.evictable && e.key !== ask.key).sort((a, b) => a.lastSyncMs - b.lastSyncMs || a.addedAt - b.addedAt)
    for (const e of candidates) {
      if (total + ask.byteLength <= limits.budgetBytes) break
      evict.push(e)
      total -= e.byteLength
    }
    if (total + ask.byteLength > limits.budgetBytes) {
      return { ok: false, refused: Refusal.BUDGET_FULL(limits.budgetBytes, ask.byteLength) }
    }
  }
  return { ok: true, evict }
}

export function sum (entries: Iterable<HoldingEntry>): number {
  let n = 0
  for (const e of entries) n += e.byteLength
  return n
}
