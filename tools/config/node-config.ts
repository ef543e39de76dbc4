// Node configs: the YAML a user writes for one node (`roost build --config node.yaml`),
// checked field by field and across fields, every problem reported as file:line: field.
// What passes becomes the node's config.json: the board's defaults with the file's
// values over them. The node re-checks it only cheaply (node/config.ts).
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { z } from 'zod'
import { parseBootstrap } from '../../node/config/bootstrap.ts'
import { BRIDGE_DEFAULTS, MQTT_VERSIONS, ROLES } from '../../node/config/types.ts'
import type { BridgeSettings, MqttVersion, NodeConfigFile, StoragePeerSettings } from '../../node/config/types.ts'
import { DECODERS } from '../../node/bridge/decode.ts'
import { checkRules } from '../../node/bridge/rules.ts'
import { checkTopicFilter } from '../../node/bridge/topic-filter.ts'
import { decodeKey } from '../../node/identity/keys.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import type { Board } from './boards.ts'
import { ConfigError } from './errors.ts'
import { parseYamlWithSchema } from './yaml.ts'
import type { CustomIssueParams } from './yaml.ts'

const BROKER_EXAMPLE = 'mqtt://127.0.0.1:1883'

const bridgeSchema = z.strictObject({
  broker: z.string().min(1),
  ca_file: z.string().min(1).optional(),
  client_id: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  password: z.string().optional(),
  password_file: z.string().min(1).optional(),
  // Any value: checkBridge names the two that are allowed, whatever was written.
  protocol_version: z.unknown().optional(),
  max_payload_bytes: z.number().int().min(1).optional(),
  flush_ms: z.number().int().min(0).optional(),
  max_batch: z.number().int().min(1).optional(),
  rules: z.array(z.strictObject({
    filter: z.string(),
    feed: z.string(),
    decoder: z.enum(DECODERS)
  })).min(1),
  command_topics: z.array(z.string()).optional()
})

// Sizes in MiB, as board configs write them.
const storagePeerSchema = z.strictObject({
  budget_mb: z.number().int().positive().optional(),
  quota_mb: z.number().int().positive().optional(),
  quota_cores: z.number().int().positive().optional(),
  reserve_mb: z.number().int().min(0).optional(),
  max_open_cores: z.number().int().min(1).max(4096).optional(),
  max_peer_cores: z.number().int().min(1).max(100_000).optional(),
  memtable_mb: z.number().int().min(1).max(64).optional()
})

const fileSchema = z.strictObject({
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

type NodeConfigYaml = z.infer<typeof fileSchema>
type BridgeYaml = z.infer<typeof bridgeSchema>
type Fail = (path: PropertyKey[], message: string, params?: CustomIssueParams) => void

// Values that are never echoed back in an error message.
const SECRET_FIELDS = ['bridge.password']

function nodeConfigSchema (board: Board): z.ZodType<NodeConfigFile> {
  return fileSchema.superRefine((file, ctx) => {
    const fail: Fail = (path, message, params) => {
      ctx.addIssue({ code: 'custom', path, message, params })
    }
    checkRoles(file, board, fail)
    file.bootstrap?.forEach((entry, i) => {
      try {
        parseBootstrap(entry)
      } catch {
        fail(['bootstrap', i], 'expected host:port (e.g. 127.0.0.1:49737)')
      }
    })
    if (file.host !== undefined && net.isIP(file.host) === 0) {
      fail(['host'], 'expected an IP address to bind to (e.g. 0.0.0.0 or 127.0.0.1)')
    }
    file.trusted_keys?.forEach((key, i) => { checkKey(['trusted_keys', i], key, fail) })
    if (file.operator_key !== undefined) checkKey(['operator_key'], file.operator_key, fail)
    file.peers?.forEach((key, i) => { checkKey(['peers', i], key, fail) })
    if (file.storage !== undefined && !path.posix.isAbsolute(file.storage)) {
      fail(['storage'], 'expected an absolute path on the device')
    }
    if (file.bridge !== undefined) checkBridge(file.bridge, fail)
  }).transform((file): NodeConfigFile => {
    const config: NodeConfigFile = {
      ...defaultConfig(board),
      roles: file.roles ?? board.defaultRoles,
      bootstrap: file.bootstrap ?? [],
      host: file.host ?? null,
      trustedKeys: file.trusted_keys ?? [],
      operatorKey: file.operator_key ?? null,
      peers: file.peers ?? [],
      storage: file.storage ?? board.storagePath
    }
    if (file.bridge !== undefined) config.bridge = bridgeSettings(file.bridge)
    if (file.storage_peer !== undefined) config.storagePeer = storagePeerSettings(file.storage_peer, config.storagePeer ?? {})
    return config
  })
}

// The bridge section and the bridge role go together. When the file lists roles, a
// mismatch is reported at `roles`: that list is where the user chose the roles, so
// it is the line to change. When it leaves them to the board, there is no roles
// line: a bridge section the board's roles lack is reported at `bridge`, and the
// board's bridge role without a bridge section is accepted, as in the default config
// (the node logs the role as pending until a broker is configured).
function checkRoles (file: NodeConfigYaml, board: Board, fail: Fail): void {
  const roles = file.roles
  if (roles === undefined) {
    if (file.bridge !== undefined && !board.defaultRoles.includes('bridge')) {
      fail(['bridge'], `the bridge role is not among the default roles of ${board.id} (${board.defaultRoles.join(', ') || 'none'})`,
        { got: false, hint: `add roles: [${[...board.defaultRoles, 'bridge'].join(', ')}]` })
    }
    return
  }
  const duplicate = roles.findIndex((role, i) => roles.indexOf(role) !== i)
  if (duplicate !== -1) fail(['roles', duplicate], 'expected each role once')
  if (file.bridge !== undefined && !roles.includes('bridge')) {
    fail(['roles'], 'expected bridge among the roles, as the file has a bridge section',
      { hint: 'add bridge to roles, or remove the bridge section' })
  }
  if (file.bridge === undefined && roles.includes('bridge')) {
    fail(['roles'], 'the bridge role needs a bridge section (broker and rules)',
      { got: false, hint: `add a bridge section with broker: ${BROKER_EXAMPLE} and rules, or remove bridge from roles` })
  }
}

// decodeKey's own error would repeat the field name; the line and field are ours.
function checkKey (path: PropertyKey[], value: string, fail: Fail): void {
  try {
    decodeKey(path.join('.'), value)
  } catch {
    fail(path, 'expected a public key (52 z-base-32 or 64 hex characters)')
  }
}

function checkBridge (bridge: BridgeYaml, fail: Fail): void {
  const broker = checkBroker(bridge.broker)
  if (broker !== null) fail(['bridge', 'broker'], broker.reason, { got: false, hint: broker.hint })
  if (bridge.ca_file !== undefined) {
    if (!/^mqtts:\/\//i.test(bridge.broker)) {
      fail(['bridge', 'ca_file'], 'a CA file is used only with an mqtts:// broker', { got: false, hint: 'write the broker as mqtts://HOST:PORT, or remove ca_file' })
    } else if (!bridge.ca_file.startsWith('/')) {
      fail(['bridge', 'ca_file'], 'expected an absolute path on the board, like /etc/roost/broker-ca.pem', { got: false })
    }
  }
  if (bridge.password !== undefined && bridge.username === undefined) {
    fail(['bridge', 'password'], 'a password needs a username (MQTT sends a password only with one)',
      { got: false, hint: 'add username: next to the password' })
  }
  if (bridge.password_file !== undefined) {
    if (bridge.password !== undefined) {
      fail(['bridge', 'password_file'], 'expected either password or password_file, not both',
        { got: false, hint: 'keep password_file and remove password, so the secret stays out of config.json' })
    } else if (bridge.username === undefined) {
      fail(['bridge', 'password_file'], 'a password file needs a username (MQTT sends a password only with one)',
        { got: false, hint: 'add username: next to password_file' })
    } else if (!bridge.password_file.startsWith('/')) {
      fail(['bridge', 'password_file'], 'expected an absolute path on the board, like /etc/roost/broker-password', { got: false })
    }
  }
  if (bridge.protocol_version !== undefined && !(MQTT_VERSIONS as readonly unknown[]).includes(bridge.protocol_version)) {
    fail(['bridge', 'protocol_version'], 'expected 4 (MQTT 3.1.1) or 5 (MQTT 5)', { hint: 'write protocol_version: 5 for MQTT 5; leave it out for MQTT 3.1.1' })
  }
  for (const problem of checkRules(bridge.rules)) {
    fail(['bridge', 'rules', problem.index, problem.field], problem.reason, { got: false })
  }
  bridge.command_topics?.forEach((topic, i) => {
    const problem = checkTopicFilter(topic)
    if (problem !== null) fail(['bridge', 'command_topics', i], problem, { got: false })
  })
}

// The artifact's MQTT client speaks mqtt:// over TCP and mqtts:// over TLS (bare-tls on
// Bare), which verifies the broker's certificate against ca_file or the default roots.
// The URL is not echoed: it may carry a user name and password.
function checkBroker (broker: string): { reason: string, hint?: string } | null {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(broker)?.[1].toLowerCase()
  if (scheme !== 'mqtt' && scheme !== 'mqtts') {
    return {
      reason: `expected an mqtt:// URL like ${BROKER_EXAMPLE}, got ${scheme === undefined ? 'no scheme' : `${scheme}://`}`,
      hint: scheme === undefined ? 'write it as mqtt://HOST:PORT' : undefined
    }
  }
  let url: URL
  try {
    url = new URL(broker)
  } catch {
    return { reason: `expected an mqtt:// URL like ${BROKER_EXAMPLE}, got one that does not parse` }
  }
  // The node's own check (node/config.ts) wants a host right after the scheme.
  if (url.hostname === '' || !/^mqtts?:\/\/[^\s/]+/i.test(broker)) {
    return { reason: `expected an mqtt:// URL with a host, like ${BROKER_EXAMPLE}` }
  }
  return null
}

function storagePeerSettings (yaml: z.infer<typeof storagePeerSchema>, board: Partial<StoragePeerSettings>): Partial<StoragePeerSettings> {
  const mib = (n: number | undefined): number | undefined => n === undefined ? undefined : n * 1024 * 1024
  const out: Partial<StoragePeerSettings> = { ...board }
  const set = (k: keyof StoragePeerSettings, v: number | undefined): void => { if (v !== undefined) out[k] = v }
  set('budgetBytes', mib(yaml.budget_mb))
  set('quotaBytes', mib(yaml.quota_mb))
  set('quotaCores', yaml.quota_cores)
  set('reserveBytes', mib(yaml.reserve_mb))
  set('maxOpenCores', yaml.max_open_cores)
  set('maxPeerCores', yaml.max_peer_cores)
  set('memtableBytes', mib(yaml.memtable_mb))
  return out
}

function bridgeSettings (bridge: BridgeYaml): BridgeSettings {
  return {
    broker: bridge.broker,
    caFile: bridge.ca_file ?? null,
    clientId: bridge.client_id ?? null,
    username: bridge.username ?? null,
    password: bridge.password ?? null,
    passwordFile: bridge.password_file ?? null,
    protocolVersion: (bridge.protocol_version as MqttVersion | undefined) ?? BRIDGE_DEFAULTS.protocolVersion,
    rules: bridge.rules.map((rule) => ({ filter: rule.filter, feed: rule.feed, decoder: rule.decoder })),
    maxPayloadBytes: bridge.max_payload_bytes ?? BRIDGE_DEFAULTS.maxPayloadBytes,
    commandTopics: bridge.command_topics ?? [],
    flushMs: bridge.flush_ms ?? BRIDGE_DEFAULTS.flushMs,
    maxBatch: bridge.max_batch ?? BRIDGE_DEFAULTS.maxBatch
  }
}

export function parseNodeConfig (file: string, text: string, board: Board): NodeConfigFile {
  return parseYamlWithSchema(file, text, nodeConfigSchema(board), { secretFields: SECRET_FIELDS })
}

export function loadNodeConfig (file: string, board: Board): NodeConfigFile {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw ConfigError.NOT_FOUND(file)
    throw err
  }
  return parseNodeConfig(file, text, board)
}
