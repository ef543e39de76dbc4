// Every event the node logs, with its fields: one JSON object per line on stdout
// (log.ts), read by journald/logread, the demo, the bench and the tests
// (tools/harness/node-process.ts types what it parses by this table). Keys are public,
// encoded values: no secret ever reaches a log line.
export interface LogEvents {
  // Lifecycle (main.ts, node.ts).
  ready: {
    publicKey: string, host: string, runtime: 'bare' | 'node', version: string, boardId: string, roles: string[]
    identity: 'created' | 'loaded', dhtAddress: string, bootstrap: string[] | 'public'
    // Whether the runtime was started with --expose-gc (platform/heap-trim.ts).
    heapTrim: boolean
  }
  'role-pending': { role: string, reason: string }
  stopping: { signal: string }
  closed: { uptimeMs: number }
  error: { code: string, message: string, hint?: string }
  fatal: { code: string, message: string, stack: string }

  // Peers connecting to this node, and the trust checks on what they ask.
  // relay: the relay key the connection goes through; absent when it is direct.
  'peer-connected': { peer: string, relay?: string }
  'peer-error': { peer: string, code: string, reason: string }
  refused: { peer: string, request: string, reason: string }
  paired: { peer: string }
  'pair-refused': { peer: string, code: string }

  // What the node sees of its network, when it changes (network/reachability.ts): the
  // NAT behaviour DHT nodes saw, whether they reached it unasked, whether its DHT node is
  // persistent, the address:port it is seen at ('random' port behind a randomising NAT),
  // the port mapping ('off', 'asking', 'failed' or the mapped address:port), and whether
  // its server names its relays.
  reachability: {
    nat: 'unknown' | 'consistent' | 'random', reachable: boolean, persistent: boolean, publicAddress: string | null
    portMapping: string, relayed: boolean
  }

  // Nodes this node keeps reaching (network/peers.ts).
  'peer-reached': { peer: string, connectMs: number, rttMs: number, relay?: string }
  'peer-ping': { peer: string, rttMs: number }
  'peer-unreachable': { peer: string, code: string, reason: string }
  'peer-lost': { peer: string }

  // The sensor bridge.
  'broker-connected': { broker: string, sessionPresent: boolean }
  'broker-disconnected': { broker: string, retryInMs: number }
  'broker-error': { broker: string, code?: string, reason: string, hint?: string }
  'reading-refused': { topic: string, reason: string }
  'broker-dropped': { broker: string, code: string, dropped: number, reason: string, hint: string }
  'reading-not-stored': { topic: string, reason: string }
  'command-published': { peer: string, topic: string }
  'command-refused': { peer: string, topic: string, reason: string }

  // LAN ingest: readings from Lua agents over UDP (node/lan/). A dropped datagram is
  // counted in the status; a line says so at most once a minute per reason, with how
  // many were dropped for it since the last line. No key ever reaches a line.
  // recovered: readings a crash left appended but not acknowledged (lan/state.ts).
  'lan-ingest-listening': { address: string, devices: string[], recovered: number }
  'lan-device-added': { device: string, id: string, source: 'config' | 'agents' }
  'lan-device-removed': { device: string, id: string }
  'lan-device-error': { device: string, code: string, reason: string, hint?: string }
  'lan-ingest-error': { code: string, reason: string, hint?: string }
  'lan-datagram-dropped': { reason: string, from: string, device?: string, topic?: string, dropped: number }

  // The relay role (node/relay/): its key (what peers name in relays: and --relay), a
  // key refused a session (once per key and reason a minute, with how many since), a
  // key cut for sending more than its rate, and a relay that could not start.
  'relay-listening': { relayKey: string, sessionsPerPeer: number, bytesPerSecondPerPeer: number }
  'relay-refused': { peer: string, reason: 'not-trusted' | 'sessions' | 'rate', refused: number, sessionsPerPeer?: number }
  'relay-cut': { peer: string, streams: number, bytesPerSecondPerPeer: number }
  'relay-error': { code: string, reason: string, hint?: string }

  // The port mapping the node asks its home router for (network/port-mapping.ts):
  // mapped (again after the router restarted, or on another address), not mapped (every
  // protocol's reason; lost: the mapping a failed renewal dropped), deleted at shutdown.
  'port-mapped': { protocol: 'nat-pmp' | 'pcp' | 'upnp-igd', external: string, internalPort: number, leaseSeconds: number, after?: 'router-restarted' }
  'port-mapping-failed': { internalPort: number, reason: string, lost?: string }
  'port-unmapped': { protocol: 'nat-pmp' | 'pcp' | 'upnp-igd', external: string }
  // What HyperDHT made of the node's reachability once it bootstrapped, and when it
  // changes: firewalled while no one reaches it unasked; persistent once it serves in
  // other nodes' routing tables (network/dht.ts).
  'dht-reachability': { firewalled: boolean, persistent: boolean, remoteAddress: string | null }

  // The storage peer.
  keeping: { core: string, owner: string, length: number, byteLength: number }
  'core-held': { core: string, length: number, byteLength: number }
  dropped: { core: string, owner: string, byteLength: number }
  evicted: { core: string, owner: string, byteLength: number }
  'quota-reached': { owner: string, core: string, bytes: number, quotaBytes: number }
  'keep-refused': { peer: string, core: string, code: string, reason: string }
  'keep-failed': { peer: string, core: string, reason: string }
  'sync-failed': { core: string, reason: string }
  'sync-stalled': { core: string, held: number, length: number }
  'holdings-save-failed': { reason: string }
  'announce-failed': { discoveryKey: string, reason: string }
  'peer-cores-limited': { openCores: number, maxPeerCores: number }
  'disk-full': { freeBytes: number, reserveBytes: number }
  'disk-space-back': { freeBytes: number, reserveBytes: number }
}

export type LogEvent = keyof LogEvents

// The events that report something going wrong on the node: the ones its health reply
// lists as its last errors (recent-errors.ts). `fatal` is not here: the process ends.
export const ERROR_EVENTS = [
  'error', 'broker-error', 'peer-error', 'sync-failed', 'keep-failed', 'announce-failed',
  'holdings-save-failed', 'reading-not-stored', 'broker-dropped', 'lan-device-error', 'lan-ingest-error', 'relay-error'
] as const satisfies readonly LogEvent[]

export type ErrorEvent = typeof ERROR_EVENTS[number]

// One line as written: the time, the event and its fields.
export type LogLine<E extends LogEvent = LogEvent> = { time: string, event: E } & LogEvents[E]
