// The relay's per-key limits, as plain bookkeeping the relay server feeds: sessions a
// key has open, and the bytes it sends through the relay against its rate. The relay
// cannot slow a key down (blind-relay forwards packets in native code), so a key over
// its rate is cut and refused for a while (docs/decisions/relay-trust-limits.md).
import type { RelaySettings } from '../config/types.ts'

export type RelayRefusal = 'not-trusted' | 'sessions' | 'rate'

// The rate is an average over this many seconds: a burst of that many seconds' worth
// passes, a sustained stream above the rate does not.
export const BURST_SECONDS = 4
// How long a key cut for its rate is refused new sessions.
export const COOL_DOWN_MS = 30_000

export interface PeerLimits {
  // Why the key may not open one more session now, or null when it may.
  admit (peer: string, now: number): Exclude<RelayRefusal, 'not-trusted'> | null
  opened (peer: string): void
  closed (peer: string): void
  sessions (peer: string): number
  // Counts bytes the key sent through the relay since the last call; true when they
  // take it over its rate: its sessions are to be cut, and it is refused until the
  // cool-down ends.
  sent (peer: string, bytes: number, now: number): boolean
}

interface Bucket { tokens: number, at: number }

export function peerLimits (settings: Pick<RelaySettings, 'sessionsPerPeer' | 'bytesPerSecondPerPeer'>): PeerLimits {
  const open = new Map<string, number>()
  const buckets = new Map<string, Bucket>()
  const coolingUntil = new Map<string, number>()
  const capacity = settings.bytesPerSecondPerPeer * BURST_SECONDS

  return {
    admit (peer, now) {
      const until = coolingUntil.get(peer)
      if (until !== undefined) {
        if (now < until) return 'rate'
        coolingUntil.delete(peer)
      }
      return (open.get(peer) ?? 0) >= settings.sessionsPerPeer ? 'sessions' : null
    },
    opened (peer) {
      open.set(peer, (open.get(peer) ?? 0) + 1)
    },
    closed (peer) {
      const left = (open.get(peer) ?? 1) - 1
      if (left > 0) {
        open.set(peer, left)
      } else {
        open.delete(peer)
        // A key with nothing open starts afresh; its cool-down, if any, still holds.
        buckets.delete(peer)
      }
    },
    sessions: (peer) => open.get(peer) ?? 0,
    sent (peer, bytes, now) {
      const bucket = buckets.get(peer) ?? { tokens: capacity, at: now }
      bucket.tokens = Math.min(capacity, bucket.tokens + settings.bytesPerSecondPerPeer * Math.max(0, now - bucket.at) / 1000) - bytes
      bucket.at = now
      buckets.set(peer, bucket)
      if (bucket.tokens >= 0) return false
      buckets.delete(peer)
      coolingUntil.set(peer, now + COOL_DOWN_MS)
      return true
    }
  }
}
