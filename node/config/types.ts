// The node's runtime config as config.json holds it: written by `roost build`/`run`
// from a checked YAML file, re-checked by the node (check.ts) with the same rules.
import type { MappingRule } from '../bridge/rules.ts'
import type { BootstrapNode } from './bootstrap.ts'

export const ROLES = ['storage', 'bridge', 'relay', 'lan-ingest'] as const
export type Role = typeof ROLES[number]

export interface NodeConfig {
  version: 1
  boardId: string
  // The node's own folder on the device: identity, keys, trust, cores, bridge state.
  dataDir: string
  // Empty means the public HyperDHT bootstrap nodes.
  bootstrap: BootstrapNode[]
  // Address the DHT binds to; null picks one from the bootstrap (see dht.ts).
  host: string | null
  roles: Role[]
  trustedKeys: string[]
  operatorKey: string | null
  // Nodes this node keeps reaching by key and pings, logging round-trip times.
  peers: string[]
  pingIntervalMs: number
  // The sensor bridge; null when this node has no broker to read.
  bridge: BridgeSettings | null
  // Limits of the storage role (cores kept for trusted users).
  storagePeer: StoragePeerSettings
  // Readings from Lua agents on the LAN (UDP); null when this node takes none.
  lanIngest: LanIngestSettings | null
  // Relays this node goes through when hole punching cannot work (its side or the other
  // behind a NAT that randomises ports, or after a punch failed): the relay keys that
  // roost relays log (relay-listening). Empty: never through a relay of its own choice.
  relays: string[]
  // The relay role's limits, and who besides the trusted keys may use it.
  relay: RelaySettings
  // Ask the home router to map the DHT's UDP port (NAT-PMP, then UPnP IGD), so that
  // peers reach the node directly (network/port-mapping.ts). On unless turned off.
  portMapping: boolean
}

export interface RelaySettings {
  // Relay sessions one key may have open at once: each relayed connection takes one on
  // each side, and a connection that has punched through gives its session back.
  sessionsPerPeer: number
  // Bytes a second one key may send through the relay, over a few seconds. The relay
  // forwards packets in native code and cannot slow a peer down: a key above this has
  // its relayed connections cut and is refused for a while (docs/decisions/relay-trust-limits.md).
  bytesPerSecondPerPeer: number
  // Keys that may use the relay besides the trusted, operator and paired keys and the
  // node's peers: a fleet's other devices, say.
  keys: string[]
}

export const RELAY_DEFAULTS: RelaySettings = {
  sessionsPerPeer: 16,
  bytesPerSecondPerPeer: 8 * 1024 * 1024,
  keys: []
}

export interface StoragePeerSettings {
  // All cores kept for users together; from the board config's storage budget.
  budgetBytes: number
  // Per trusted key.
  quotaBytes: number
  quotaCores: number
  // Free disk space the node leaves alone: below it, it stops taking new blocks.
  reserveBytes: number
  // Cores open at once for syncing; the rest stay closed on disk until needed. Also
  // the most cores kept open when nothing uses them (roles/storage.ts closes the rest).
  maxOpenCores: number
  // How long a keep request waits for some peer to serve the core.
  findTimeoutMs: number
  // Cores open at once, beyond which a peer asking for another stored core is not
  // served it: the discovery keys of kept cores are public on the DHT.
  maxPeerCores: number
  // rocksdb memtable size of the node's hypercore store (the bridge's feeds use it too):
  // the biggest memory cost while a core is downloaded (storage/corestore.ts).
  memtableBytes: number
}

export const STORAGE_PEER_DEFAULTS: StoragePeerSettings = {
  budgetBytes: 1024 * 1024 * 1024,
  quotaBytes: 1024 * 1024 * 1024,
  quotaCores: 10_000,
  reserveBytes: 64 * 1024 * 1024,
  maxOpenCores: 32,
  findTimeoutMs: 15_000,
  maxPeerCores: 256,
  memtableBytes: 4 * 1024 * 1024
}

export interface BridgeSettings {
  broker: string
  // PEM file of the CA that an mqtts:// broker's certificate must chain to; null for the
  // runtime's default roots.
  caFile: string | null
  clientId: string | null
  username: string | null
  password: string | null
  // File on the board holding the password, read at connect (so the secret is not in
  // this config); it must not be readable by group or others. Excludes `password`.
  passwordFile: string | null
  // 4 is MQTT 3.1.1, 5 is MQTT 5.
  protocolVersion: MqttVersion
  rules: MappingRule[]
  maxPayloadBytes: number
  commandTopics: string[]
  // How long readings wait to be appended together, and how many at most.
  flushMs: number
  maxBatch: number
}

export const MQTT_VERSIONS = [4, 5] as const
export type MqttVersion = typeof MQTT_VERSIONS[number]

// Configs written before passwordFile and protocolVersion existed lack them: these
// defaults keep such a config meaning what it meant.
export const BRIDGE_DEFAULTS = {
  passwordFile: null,
  protocolVersion: 4,
  maxPayloadBytes: 65_536,
  flushMs: 10,
  maxBatch: 512
} as const

// One agent device that sends readings to the lan-ingest role: the agent's id and key
// come from `roost agent add` (which writes them to the node's data folder, agents/,
// rather than here) or from provisioning.
export interface LanDevice {
  // Lower-case letters, digits, - and _: it names the device in logs and agents/NAME.json.
  name: string
  // 8 bytes as 16 hex characters, sent in the clear at the start of every datagram.
  id: string
  // The device's XChaCha20-Poly1305 key, 64 hex characters; or keyFile, a file (mode
  // 0600) holding them, read when the role starts. One of the two.
  key: string | null
  keyFile: string | null
  rules: MappingRule[]
}

export interface LanIngestSettings {
  // UDP port and IPv4 address the role listens on.
  port: number
  host: string
  devices: LanDevice[]
}

export const LAN_INGEST_DEFAULTS = {
  port: 9393,
  host: '0.0.0.0'
} as const

// The form written to config.json: bootstrap nodes as "host:port" strings.
export type NodeConfigFile = Omit<NodeConfig, 'bootstrap' | 'pingIntervalMs' | 'bridge' | 'storagePeer' | 'lanIngest' | 'relays' | 'relay' | 'portMapping'> & {
  portMapping?: boolean
  bootstrap: string[]
  pingIntervalMs?: number
  bridge?: BridgeSettings | null
  storagePeer?: Partial<StoragePeerSettings>
  lanIngest?: LanIngestSettings | null
  relays?: string[]
  relay?: Partial<RelaySettings>
}

export const DEFAULTS = {
  pingIntervalMs: 30_000,
  // A board behind a home router is reachable only with a mapping; a router that maps
  // nothing just answers no (or not at all), and the node serves on.
  portMapping: true
} as const
