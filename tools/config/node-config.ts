// Node configs: the YAML a user writes for one node (`roost build --config node.yaml`).
// zod checks its shape (types, unknown keys); the node's own rules (node/config/) check
// the values and how fields go together, and each problem is reported as file:line:
// field at the key the user wrote (node-keys.ts names it). What passes becomes the
// node's config.json: the board's defaults with the file's values over them.
import net from 'node:net'
import { z } from 'zod'
import { DECODERS } from '../../node/bridge/decode.ts'
import { bridgeProblems, type BridgeFields } from '../../node/config/bridge-rules.ts'
import { lanIngestProblems } from '../../node/config/lan-ingest-rules.ts'
import { bootstrapProblems, keyProblems, roleProblems, dataDirProblems, storagePeerProblems } from '../../node/config/node-rules.ts'
import { relaySettingsProblems, relaysProblems } from '../../node/config/relay-rules.ts'
import type { Problem } from '../../node/config/problems.ts'
import { BRIDGE_DEFAULTS, LAN_INGEST_DEFAULTS, RELAY_DEFAULTS, ROLES, STORAGE_PEER_DEFAULTS } from '../../node/config/types.ts'
import type { BridgeSettings, LanIngestSettings, NodeConfigFile, Role } from '../../node/config/types.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import type { Board } from './boards.ts'
import { configFields, YAML_WORDS, yamlPath } from './node-keys.ts'
import { parseYamlWithSchema, readConfigFile, type CustomIssueParams } from './yaml.ts'

const BROKER_EXAMPLE = 'mqtt://127.0.0.1:1883'

export const ruleSchema = z.strictObject({
  filter: z.string(),
  feed: z.string(),
  decoder: z.enum(DECODERS)
})

// Numbers are whole; their ranges are the node's (node/config/).
const bridgeSchema = z.strictObject({
  broker: z.string().min(1),
  ca_file: z.string().min(1).optional(),
  client_id: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
  password_file: z.string().min(1).optional(),
  // Any value: the node's rule names the two that are allowed, whatever was written.
  protocol_version: z.unknown().optional(),
  max_payload_bytes: z.number().int().optional(),
  flush_ms: z.number().int().optional(),
  max_batch: z.number().int().optional(),
  rules: z.array(ruleSchema).min(1),
  command_topics: z.array(z.string()).optional()
})

// A key's form is checked by the node's rule, which never shows it.
const lanIngestSchema = z.strictObject({
  port: z.number().int().optional(),
  host: z.string().min(1).optional(),
  devices: z.array(z.strictObject({
    name: z.string(),
    id: z.string(),
    key: z.string().optional(),
    key_file: z.string().min(1).optional(),
    rules: z.array(ruleSchema)
  })).optional()
})

// Sizes in MiB, as board configs write them.
const storagePeerSchema = z.strictObject({
  budget_mb: z.number().int().optional(),
  quota_mb: z.number().int().optional(),
  quota_cores: z.number().int().optional(),
  reserve_mb: z.number().int().optional(),
  max_open_cores: z.number().int().optional(),
  max_peer_cores: z.number().int().optional(),
  memtable_mb: z.number().int().optional()
})

// Rates in KiB a second.
const relaySchema = z.strictObject({
  sessions_per_peer: z.number().int().optional(),
  kib_per_second_per_peer: z.number().int().optional(),
  keys: z.array(z.string()).optional()
})

// The fields of a node config file; a fleet file's defaults and devices take them too.
export const nodeConfigFields = z.strictObject({
  roles: z.array(z.enum(ROLES)).optional(),
  bootstrap: z.array(z.string()).optional(),
  host: z.string().min(1).optional(),
  trusted_keys: z.array(z.string()).optional(),
  operator_key: z.string().optional(),
  peers: z.array(z.string()).optional(),
  storage: z.string().min(1).optional(),
  bridge: bridgeSchema.optional(),
  storage_peer: storagePeerSchema.optional(),
  lan_ingest: lanIngestSchema.optional(),
  relays: z.array(z.string()).optional(),
  port_mapping: z.boolean().optional(),
  relay: relaySchema.optional()
})

export type NodeConfigYaml = z.infer<typeof nodeConfigFields>
// A file's fields under config.json's names: a bridge section has what zod required.
type GivenFields = Partial<Omit<NodeConfigFile, 'bridge' | 'lanIngest'>> & {
  bridge?: Partial<BridgeFields> & Pick<BridgeFields, 'broker' | 'rules'>
  lanIngest?: Partial<Omit<LanIngestSettings, 'devices'>> & { devices?: Array<Partial<LanIngestSettings['devices'][number]> & Pick<LanIngestSettings['devices'][number], 'name' | 'id' | 'rules'>> }
}

// Values that are never echoed back in an error message; * stands for any list index.
export const SECRET_FIELDS = [yamlPath(['bridge', 'password']).join('.'), yamlPath(['lanIngest', 'devices', 0, 'key']).join('.').replace('.0.', '.*.')]

function nodeConfigSchema (board: Board): z.ZodType<NodeConfigFile> {
  return nodeConfigFields.superRefine((file, ctx) => {
    for (const issue of nodeConfigIssues(file, board)) ctx.addIssue({ ...issue })
  }).transform((file) => toConfigFile(file, board))
}

// The values and how the fields go together, for a file whose shape zod has checked:
// every problem, at the YAML path the user wrote. yaml.ts reports the first one of a
// node config file, so the checks run in the order they have always had.
export interface ConfigIssue { code: 'custom', path: PropertyKey[], message: string, params: CustomIssueParams }

export function nodeConfigIssues (file: NodeConfigYaml, board: Board): ConfigIssue[] {
  const config = toConfigFile(file, board)
  const problems: Problem[] = [
    ...(file.roles !== undefined ? roleProblems(file.roles) : []),
    ...roleSectionProblems(file.roles, board, BRIDGE_SECTION, file.bridge !== undefined),
    ...roleSectionProblems(file.roles, board, LAN_INGEST_SECTION, file.lan_ingest !== undefined),
    ...bootstrapProblems(config.bootstrap),
    ...hostProblems(config.host),
    ...keyProblems(config),
    ...(file.storage !== undefined ? dataDirProblems(config.dataDir) : []),
    ...(config.bridge ? bridgeProblems(config.bridge, YAML_WORDS) : []),
    ...(file.storage_peer !== undefined ? storagePeerProblems({ ...STORAGE_PEER_DEFAULTS, ...config.storagePeer }, YAML_WORDS) : []),
    ...(config.lanIngest ? lanIngestProblems(config.lanIngest, YAML_WORDS, config.bridge?.rules ?? []) : []),
    ...relaysProblems(config.relays ?? []),
    ...relaySectionProblems(file.roles, board, file.relay !== undefined),
    ...(config.relay ? relaySettingsProblems({ ...RELAY_DEFAULTS, ...config.relay }, YAML_WORDS) : [])
  ]
  return problems.map((problem) => ({
    code: 'custom' as const,
    path: yamlPath(problem.path),
    message: problem.reason,
    params: { hint: problem.hint, got: problem.showsValue === true ? undefined : false }
  }))
}

// The board's default config with the file's values over it. A bridge section fills
// what it leaves out as the node would read a config.json that lacks it.
export function toConfigFile (file: NodeConfigYaml, board: Board): NodeConfigFile {
  const { bridge, storagePeer, lanIngest, ...given } = configFields(file) as GivenFields
  const defaults = defaultConfig(board)
  const config: NodeConfigFile = { ...defaults, ...given }
  if (bridge) {
    const { broker, rules, ...written } = bridge
    const fields: BridgeFields = { broker, caFile: null, clientId: null, username: null, password: null, ...BRIDGE_DEFAULTS, rules, commandTopics: [], ...written }
    // Any other protocolVersion is refused by bridgeProblems before this is returned.
    config.bridge = fields as BridgeSettings
  }
  if (storagePeer) config.storagePeer = { ...defaults.storagePeer, ...storagePeer }
  if (lanIngest) {
    const { devices = [], ...written } = lanIngest
    config.lanIngest = { ...LAN_INGEST_DEFAULTS, ...written, devices: devices.map((d) => ({ key: null, keyFile: null, ...d })) }
  }
  return config
}

// A role and the section it needs (bridge, lan_ingest) go together. When the file
// lists roles, a mismatch is reported at `roles`: that list is where the user chose the
// roles, so it is the line to change. When it leaves them to the board, there is no
// roles line: a section the board's roles lack is reported at the section, and the
// board's role without its section is accepted, as in the default config (the node
// logs the role as pending until the section is written). Host only: it needs the
// board, and config.json always lists its roles.
interface RoleSection { role: Role, section: string, needs: string, add: string }

const BRIDGE_SECTION: RoleSection = {
  role: 'bridge',
  section: 'bridge',
  needs: 'a bridge section (broker and rules)',
  add: `add a bridge section with broker: ${BROKER_EXAMPLE} and rules`
}

const LAN_INGEST_SECTION: RoleSection = {
  role: 'lan-ingest',
  section: 'lan_ingest',
  needs: 'a lan_ingest section (port and devices)',
  add: `add lan_ingest: {} to listen on UDP port ${LAN_INGEST_DEFAULTS.port} for the devices \`roost agent add\` makes`
}

function roleSectionProblems (roles: readonly Role[] | undefined, board: Board, { role, section, needs, add }: RoleSection, hasSection: boolean): Problem[] {
  if (roles === undefined) {
    if (!hasSection || board.defaultRoles.includes(role)) return []
    return [{
      path: [section],
      reason: `the ${role} role is not among the default roles of ${board.id} (${board.defaultRoles.join(', ') || 'none'})`,
      hint: `add roles: [${[...board.defaultRoles, role].join(', ')}]`
    }]
  }
  if (hasSection && !roles.includes(role)) {
    return [{ path: ['roles'], reason: `expected ${role} among the roles, as the file has a ${section} section`, hint: `add ${role} to roles, or remove the ${section} section`, showsValue: true }]
  }
  if (!hasSection && roles.includes(role)) {
    return [{ path: ['roles'], reason: `the ${role} role needs ${needs}`, hint: `${add}, or remove ${role} from roles` }]
  }
  return []
}

// The relay role runs with its defaults without a relay section; a section without the
// role would be ignored, so it is reported, at roles when the file lists them.
function relaySectionProblems (roles: readonly Role[] | undefined, board: Board, hasSection: boolean): Problem[] {
  if (!hasSection || (roles ?? board.defaultRoles).includes('relay')) return []
  if (roles === undefined) {
    return [{ path: ['relay'], reason: `the relay role is not among the default roles of ${board.id} (${board.defaultRoles.join(', ') || 'none'})`, hint: `add roles: [${[...board.defaultRoles, 'relay'].join(', ')}]` }]
  }
  return [{ path: ['roles'], reason: 'expected relay among the roles, as the file has a relay section', hint: 'add relay to roles, or remove the relay section', showsValue: true }]
}

// Host only: node:net tells an IP address from a name here; the node's bundle has no
// such test, and binding to a bad address fails there with the system's error.
function hostProblems (host: string | null): Problem[] {
  if (host === null || net.isIP(host) !== 0) return []
  return [{ path: ['host'], reason: 'expected an IP address to bind to (e.g. 0.0.0.0 or 127.0.0.1)', showsValue: true }]
}

export function parseNodeConfig (file: string, text: string, board: Board): NodeConfigFile {
  return parseYamlWithSchema(file, text, nodeConfigSchema(board), { secretFields: SECRET_FIELDS })
}

export function loadNodeConfig (file: string, board: Board): NodeConfigFile {
  return parseNodeConfig(file, readConfigFile(file), board)
}
