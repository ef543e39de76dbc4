// Whether a keep request fits: the owner's limits on bytes and cores, and the node's
// total budget. To fit the budget the node may drop cores whose owners marked them
// evictable (least recently synced first), never any other.
import type { HoldingEntry } from './holdings.ts'

export interface Limits { quotaBytes: number, quotaCores: number, budgetBytes: number }

export interface KeepAsk { key: string, owner: string, byteLength: number }

export type QuotaDecision =
  | { ok: true, evict: HoldingEntry[] }
  | { ok: false, code: 'QUOTA_CORES' | 'QUOTA_BYTES' | 'BUDGET_FULL', message: string }

export function decideKeep (ask: KeepAsk, held: HoldingEntry[], limits: Limits): QuotaDecision {
  const others = held.filter((e) => e.key !== ask.key)
  const mine = others.filter((e) => e.owner === ask.owner)
  if (mine.length + 1 > limits.quotaCores) {
    return { ok: false, code: 'QUOTA_CORES', message: `your key may keep at most ${limits.quotaCores} cores on this node and already keeps ${mine.length}` }
  }
  const myBytes = sum(mine)
  if (myBytes + ask.byteLength > limits.quotaBytes) {
    return {
      ok: false,
      code: 'QUOTA_BYTES',
      message: `this core (${ask.byteLength} bytes) does not fit your quota: ${myBytes} of ${limits.quotaBytes} bytes used`
    }
  }
  let total = sum(others)
  const evict: HoldingEntry[] = []
  if (total + ask.byteLength > limits.budgetBytes) {
    const candidates = others.filter((e) => e.evictable).sort((a, b) => a.lastSyncMs - b.lastSyncMs || a.addedAt - b.addedAt)
    for (const e of candidates) {
      if (total + ask.byteLength <= limits.budgetBytes) break
      evict.push(e)
      total -= e.byteLength
    }
    if (total + ask.byteLength > limits.budgetBytes) {
      return {
        ok: false,
        code: 'BUDGET_FULL',
        message: `this node's storage budget (${limits.budgetBytes} bytes) has no room for ${ask.byteLength} more bytes, and nothing stored may be dropped for it`
      }
    }
  }
  return { ok: true, evict }
}

export function sum (entries: HoldingEntry[]): number {
  let n = 0
  for (const e of entries) n += e.byteLength
  return n
}
