// The relay role's counters as the node's status carries them: the relay's key, what
// it relays now and has relayed, and the sessions it refused or cut, by reason. The
// message is its interface and its field table, in wire order (codec.ts).
import c from 'compact-encoding'
import { optionalWithFlag } from './codec.ts'

export interface RelayStatus {
  listening: boolean
  // The key peers name in `relays:` and `--relay` (not the node's own key).
  relayKey: Uint8Array
  // Sessions open now (a relayed connection holds one on each side), and the keys they are from.
  sessions: number
  peers: number
  // Connections relayed now, and pairs matched since the node started.
  relaying: number
  paired: number
  // Bytes forwarded since the node started (UDX packets, headers included).
  relayedBytes: number
  // Sessions refused: the key may not use this relay; it had its most sessions open;
  // it was cut for its rate a moment ago.
  refusedUntrusted: number
  refusedSessions: number
  refusedRate: number
  // Times a key went over its rate and had its relayed connections cut.
  cut: number
}

// A leading 0 means no relay role; 1 a relay that is not listening; 2 one that is.
export const optionalRelayStatus = optionalWithFlag<RelayStatus, 'listening'>('relay status', 'listening', [
  ['relayKey', c.fixed32], ['sessions', c.uint], ['peers', c.uint], ['relaying', c.uint], ['paired', c.uint],
  ['relayedBytes', c.uint], ['refusedUntrusted', c.uint], ['refusedSessions', c.uint], ['refusedRate', c.uint], ['cut', c.uint]
])
