// One table of key names: every config.json field a node YAML file can set (camelCase,
// as node/config's rules name it) with the YAML key the user writes for it, and for
// sizes the unit the YAML counts in. It turns a checked file into config.json's fields,
// and a problem the shared rules find at a config.json path back into the key (and so
// the line) the user wrote, in the user's words and units.
import type { BridgeSettings, LanDevice, LanIngestSettings, NodeConfigFile, RelaySettings, StoragePeerSettings } from '../../node/config/types.ts'
import type { MappingRule } from '../../node/bridge/rules.ts'
import { isRecord, type FieldPath, type FieldWords } from '../../node/config/problems.ts'

interface YamlKey { key: string, unit?: number, fields?: KeyTable }
type KeyTable = Readonly<Record<string, string | YamlKey>>

const MIB = 1024 * 1024
const KIB = 1024
const RULE_KEYS = { key: 'rules', fields: { filter: 'filter', feed: 'feed', decoder: 'decoder' } satisfies Record<keyof MappingRule, string> }

const NODE_KEYS = {
  roles: 'roles',
  bootstrap: 'bootstrap',
  host: 'host',
  trustedKeys: 'trusted_keys',
  operatorKey: 'operator_key',
  peers: 'peers',
  dataDir: 'storage',
  bridge: {
    key: 'bridge',
    fields: {
      broker: 'broker',
      caFile: 'ca_file',
      clientId: 'client_id',
      username: 'username',
      password: 'password',
      passwordFile: 'password_file',
      protocolVersion: 'protocol_version',
      maxPayloadBytes: 'max_payload_bytes',
      flushMs: 'flush_ms',
      maxBatch: 'max_batch',
      rules: RULE_KEYS,
      commandTopics: 'command_topics'
    } satisfies Record<keyof BridgeSettings, string | YamlKey>
  },
  // findTimeoutMs is not among them: it stays the node's default.
  storagePeer: {
    key: 'storage_peer',
    fields: {
      budgetBytes: { key: 'budget_mb', unit: MIB },
      quotaBytes: { key: 'quota_mb', unit: MIB },
      quotaCores: 'quota_cores',
      reserveBytes: { key: 'reserve_mb', unit: MIB },
      maxOpenCores: 'max_open_cores',
      maxPeerCores: 'max_peer_cores',
      memtableBytes: { key: 'memtable_mb', unit: MIB }
    } satisfies Partial<Record<keyof StoragePeerSettings, string | YamlKey>>
  },
  lanIngest: {
    key: 'lan_ingest',
    fields: {
      port: 'port',
      host: 'host',
      devices: {
        key: 'devices',
        fields: {
          name: 'name',
          id: 'id',
          key: 'key',
          keyFile: 'key_file',
          rules: RULE_KEYS
        } satisfies Record<keyof LanDevice, string | YamlKey>
      }
    } satisfies Record<keyof LanIngestSettings, string | YamlKey>
  },
  relays: 'relays',
  portMapping: 'port_mapping',
  relay: {
    key: 'relay',
    fields: {
      sessionsPerPeer: 'sessions_per_peer',
      bytesPerSecondPerPeer: { key: 'kib_per_second_per_peer', unit: KIB },
      keys: 'keys'
    } satisfies Record<keyof RelaySettings, string | YamlKey>
  }
} satisfies Partial<Record<keyof NodeConfigFile, string | YamlKey>>

function entry (value: string | YamlKey): YamlKey {
  return typeof value === 'string' ? { key: value } : value
}

// The table's entries along a config.json path; undefined past a field the table lacks.
function entriesAlong (path: FieldPath): Array<YamlKey | number | undefined> {
  let table: KeyTable | undefined = NODE_KEYS
  return path.map((segment) => {
    if (typeof segment === 'number') return segment
    const found = table?.[segment]
    table = found === undefined ? undefined : entry(found).fields
    return found === undefined ? undefined : entry(found)
  })
}

// The YAML path of a config.json path: fields renamed, list indices kept. A field the
// table lacks is one no YAML file sets (the board's or the node's default): it keeps
// its config.json name, and its problem is reported at the nearest key the file has.
export function yamlPath (path: FieldPath): Array<string | number> {
  const entries = entriesAlong(path)
  return path.map((segment, i) => {
    const found = entries[i]
    return typeof found === 'object' ? found.key : segment
  })
}

// The shared rules' reasons and hints, worded in the YAML's keys and units.
export const YAML_WORDS: FieldWords = {
  key: (path) => String(yamlPath(path).at(-1)),
  amount: (path, value) => {
    const last = entriesAlong(path).at(-1)
    return String(value / (typeof last === 'object' ? last.unit ?? 1 : 1))
  }
}

// A checked YAML file (or section) as config.json's fields: only the keys it has,
// renamed, sizes in bytes, in the table's order.
export function configFields (yaml: Record<string, unknown>, table: KeyTable = NODE_KEYS): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(table)) {
    const { key, unit, fields: inner } = entry(value)
    if (yaml[key] !== undefined) fields[field] = configValue(yaml[key], unit, inner)
  }
  return fields
}

function configValue (value: unknown, unit: number | undefined, table: KeyTable | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => configValue(item, unit, table))
  if (table !== undefined && isRecord(value)) return configFields(value, table)
  return unit !== undefined && typeof value === 'number' ? value * unit : value
}
