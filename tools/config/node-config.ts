// Node configs: the YAML a user writes for one node (`roost build --config node.yaml`).
// zod checks its shape (types, unknown keys); the node's own rules (node/config/) check
// the values and how fields go together, and each problem is reported as file:line:
// field at the key the user wrote (node-keys.ts names it). What passes becomes the
// node's config.json: the board's defaults with the file's values over them.
import net from 'node:net'
import { z } from 'zod'
import { DECODERS } from '../../node/bridge/decode.ts'
import { bridgeProblems, type BridgeFields } from '../../node/config/bridge-rules.ts'
import { bootstrapProblems, keyProblems, roleProblems, dataDirProblems, storagePeerProblems } from '../../node/config/node-rules.ts'
import type { Problem } from '../../node/config/problems.ts'
import { BRIDGE_DEFAULTS, ROLES, STORAGE_PEER_DEFAULTS } from '../../node/config/types.ts'
import type { BridgeSettings, NodeConfigFile } from '../../node/config/types.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import type { Board } from './boards.ts'
import { configFields, YAML_WORDS, yamlPath } from './node-keys.ts'
import { parseYamlWithSchema, readConfigFile, type CustomIssueParams } from './yaml.ts'

const BROKER_EXAMPLE = 'mqtt://127.0.0.1:1883'

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
  rules: z.array(z.strictObject({
    filter: z.string(),
    feed: z.string(),
    decoder: z.enum(DECODERS)
  })).min(1),
  command_topics: z.array(z.string()).optional()
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
  storage_peer: storagePeerSchema.optional()
})

export type NodeConfigYaml = z.infer<typeof nodeConfigFields>
// A file's fields under config.json's names: a bridge section has what zod required.
type GivenFields = Partial<Omit<NodeConfigFile, 'bridge'>> & { bridge?: Partial<BridgeFields> & Pick<BridgeFields, 'broker' | 'rules'> }

// Values that are never echoed back in an error message.
const SECRET_FIELDS = [yamlPath(['bridge', 'password']).join('.')]

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
    ...roleBridgeProblems(file, board),
    ...bootstrapProblems(config.bootstrap),
    ...hostProblems(config.host),
    ...keyProblems(config),
    ...(file.storage !== undefined ? dataDirProblems(config.dataDir) : []),
    ...(config.bridge ? bridgeProblems(config.bridge, YAML_WORDS) : []),
    ...(file.storage_peer !== undefined ? storagePeerProblems({ ...STORAGE_PEER_DEFAULTS, ...config.storagePeer }, YAML_WORDS) : [])
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
  const { bridge, storagePeer, ...given } = configFields(file) as GivenFields
  const defaults = defaultConfig(board)
  const config: NodeConfigFile = { ...defaults, ...given }
  if (bridge) {
    const { broker, rules, ...written } = bridge
    const fields: BridgeFields = { broker, caFile: null, clientId: null, username: null, password: null, ...BRIDGE_DEFAULTS, rules, commandTopics: [], ...written }
    // Any other protocolVersion is refused by bridgeProblems before this is returned.
    config.bridge = fields as BridgeSettings
  }
  if (storagePeer) config.storagePeer = { ...defaults.storagePeer, ...storagePeer }
  return config
}

// The bridge section and the bridge role go together. When the file lists roles, a
// mismatch is reported at `roles`: that list is where the user chose the roles, so
// it is the line to change. When it leaves them to the board, there is no roles
// line: a bridge section the board's roles lack is reported at `bridge`, and the
// board's bridge role without a bridge section is accepted, as in the default config
// (the node logs the role as pending until a broker is configured). Host only: it
// needs the board, and config.json always lists its roles.
function roleBridgeProblems (file: NodeConfigYaml, board: Board): Problem[] {
  const roles = file.roles
  if (roles === undefined) {
    if (file.bridge === undefined || board.defaultRoles.includes('bridge')) return []
    return [{
      path: ['bridge'],
      reason: `the bridge role is not among the default roles of ${board.id} (${board.defaultRoles.join(', ') || 'none'})`,
      hint: `add roles: [${[...board.defaultRoles, 'bridge'].join(', ')}]`
    }]
  }
  if (file.bridge !== undefined && !roles.includes('bridge')) {
    return [{ path: ['roles'], reason: 'expected bridge among the roles, as the file has a bridge section', hint: 'add bridge to roles, or remove the bridge section', showsValue: true }]
  }
  if (file.bridge === undefined && roles.includes('bridge')) {
    return [{
      path: ['roles'],
      reason: 'the bridge role needs a bridge section (broker and rules)',
      hint: `add a bridge section with broker: ${BROKER_EXAMPLE} and rules, or remove bridge from roles`
    }]
  }
  return []
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
