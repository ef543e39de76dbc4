// The node's own check of config.json. `roost build` wrote it from a YAML file that it
// checked with the same rules (node-rules.ts, bridge-rules.ts, lan-ingest-rules.ts): here the types are
// narrowed cheaply, then those rules run, and the first problem stops the node.
import { NodeError } from '../errors.ts'
import { decodeKey } from '../identity/keys.ts'
import type { MappingRule } from '../bridge/rules.ts'
import { parseBootstrap } from './bootstrap.ts'
import { bridgeProblems, type BridgeFields } from './bridge-rules.ts'
import { lanIngestProblems } from './lan-ingest-rules.ts'
import { roleProblems, dataDirProblems, storagePeerProblems } from './node-rules.ts'
import { relaySettingsProblems, relaysProblems } from './relay-rules.ts'
import { isRecord, valueAt, type Problem } from './problems.ts'
import { BRIDGE_DEFAULTS, DEFAULTS, LAN_INGEST_DEFAULTS, RELAY_DEFAULTS, ROLES, STORAGE_PEER_DEFAULTS } from './types.ts'
import type { LanIngestSettings, MqttVersion, NodeConfig, RelaySettings, Role, StoragePeerSettings } from './types.ts'

export function checkNodeConfig (input: unknown): NodeConfig {
  if (!isRecord(input)) throw NodeError.INVALID_CONFIG('(root)', 'expected an object')
  if (input.version !== 1) throw NodeError.INVALID_CONFIG('version', `expected 1, got ${JSON.stringify(input.version)}`)
  if (typeof input.boardId !== 'string' || input.boardId === '') throw NodeError.INVALID_CONFIG('boardId', 'expected a board id')
  // Configs written by roost 0.1 name the data folder `storage`.
  const dataDir = input.dataDir ?? input.storage
  if (typeof dataDir !== 'string' || dataDir === '') throw NodeError.INVALID_CONFIG('dataDir', 'expected a folder path')
  const host = input.host ?? null
  if (host !== null && typeof host !== 'string') throw NodeError.INVALID_CONFIG('host', 'expected an address or null')

  // Bootstrap nodes and keys keep their own codes (BAD_BOOTSTRAP, BAD_KEY): the parsers
  // that throw them test the same forms as bootstrapProblems and keyProblems.
  const bootstrap = stringArray(input, 'bootstrap').map(parseBootstrap)
  const roles = stringArray(input, 'roles')
  for (const role of roles) {
    if (!(ROLES as readonly string[]).includes(role)) throw NodeError.INVALID_CONFIG('roles', `unknown role "${role}" (known: ${ROLES.join(', ')})`)
  }
  const trustedKeys = stringArray(input, 'trustedKeys')
  trustedKeys.forEach((k) => decodeKey('trustedKeys', k))
  const peers = stringArray(input, 'peers')
  peers.forEach((k) => decodeKey('peers', k))
  const operatorKey = input.operatorKey ?? null
  if (operatorKey !== null) {
    if (typeof operatorKey !== 'string') throw NodeError.INVALID_CONFIG('operatorKey', 'expected a key or null')
    decodeKey('operatorKey', operatorKey)
  }
  const pingIntervalMs = input.pingIntervalMs ?? DEFAULTS.pingIntervalMs
  if (typeof pingIntervalMs !== 'number' || !Number.isInteger(pingIntervalMs) || pingIntervalMs < 100) {
    throw NodeError.INVALID_CONFIG('pingIntervalMs', 'expected a whole number of milliseconds ≥ 100')
  }
  const bridge = input.bridge === undefined || input.bridge === null ? null : readBridge(input.bridge)
  const storagePeer = readStoragePeer(input.storagePeer ?? {})
  const lanIngest = input.lanIngest === undefined || input.lanIngest === null ? null : readLanIngest(input.lanIngest)
  // Configs written before relays existed lack both: no relays, the role's defaults.
  const relays = stringArray(input, 'relays')
  const relay = readRelay(input.relay ?? {})
  const portMapping = input.portMapping ?? DEFAULTS.portMapping
  if (typeof portMapping !== 'boolean') throw NodeError.INVALID_CONFIG('portMapping', 'expected true or false')

  const problem: Problem | undefined = [
    ...roleProblems(roles),
    ...dataDirProblems(dataDir),
    ...(bridge === null ? [] : bridgeProblems(bridge)),
    ...storagePeerProblems(storagePeer),
    ...(lanIngest === null ? [] : lanIngestProblems(lanIngest, undefined, bridge?.rules ?? [])),
    ...relaysProblems(relays),
    ...relaySettingsProblems(relay)
  ][0]
  if (problem !== undefined) {
    const got = problem.showsValue === true ? `, got ${JSON.stringify(valueAt({ ...input, bridge, storagePeer, relay }, problem.path))}` : ''
    throw NodeError.INVALID_CONFIG(problem.path.join('.'), problem.reason + got)
  }

  return {
    version: 1,
    boardId: input.boardId,
    dataDir,
    bootstrap,
    host,
    roles: roles as Role[],
    trustedKeys,
    operatorKey,
    peers,
    pingIntervalMs,
    // bridgeProblems has refused any other version.
    bridge: bridge === null ? null : { ...bridge, protocolVersion: bridge.protocolVersion as MqttVersion },
    storagePeer,
    lanIngest,
    relays,
    relay,
    portMapping
  }
}

function stringArray (obj: Record<string, unknown>, field: string, section = ''): string[] {
  const value = obj[field] ?? []
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw NodeError.INVALID_CONFIG(section + field, 'expected a list of strings')
  }
  return value
}

function wholeNumber (value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw NodeError.INVALID_CONFIG(field, 'expected a whole number ≥ 0')
  return value
}

function readStoragePeer (input: unknown): StoragePeerSettings {
  if (!isRecord(input)) throw NodeError.INVALID_CONFIG('storagePeer', 'expected an object')
  const settings = { ...STORAGE_PEER_DEFAULTS }
  for (const field of Object.keys(input)) {
    if (!(field in STORAGE_PEER_DEFAULTS)) throw NodeError.INVALID_CONFIG(`storagePeer.${field}`, `unknown field (known: ${Object.keys(STORAGE_PEER_DEFAULTS).join(', ')})`)
    settings[field as keyof StoragePeerSettings] = wholeNumber(input[field], `storagePeer.${field}`)
  }
  return settings
}

// Types only: relaySettingsProblems checks the values.
function readRelay (input: unknown): RelaySettings {
  if (!isRecord(input)) throw NodeError.INVALID_CONFIG('relay', 'expected an object')
  const known = Object.keys(RELAY_DEFAULTS)
  for (const field of Object.keys(input)) {
    if (!known.includes(field)) throw NodeError.INVALID_CONFIG(`relay.${field}`, `unknown field (known: ${known.join(', ')})`)
  }
  return {
    sessionsPerPeer: wholeNumber(input.sessionsPerPeer ?? RELAY_DEFAULTS.sessionsPerPeer, 'relay.sessionsPerPeer'),
    bytesPerSecondPerPeer: wholeNumber(input.bytesPerSecondPerPeer ?? RELAY_DEFAULTS.bytesPerSecondPerPeer, 'relay.bytesPerSecondPerPeer'),
    keys: stringArray(input, 'keys', 'relay.')
  }
}

function readBridge (input: unknown): BridgeFields {
  if (!isRecord(input)) throw NodeError.INVALID_CONFIG('bridge', 'expected an object or null')
  const broker = input.broker
  if (typeof broker !== 'string') throw NodeError.INVALID_CONFIG('bridge.broker', 'expected a broker URL like mqtt://127.0.0.1:1883')
  const optionalString = (field: string): string | null => {
    const value = input[field] ?? null
    if (value !== null && typeof value !== 'string') throw NodeError.INVALID_CONFIG(`bridge.${field}`, 'expected a string or null')
    return value
  }
  const number = (field: 'maxPayloadBytes' | 'flushMs' | 'maxBatch'): number => wholeNumber(input[field] ?? BRIDGE_DEFAULTS[field], `bridge.${field}`)
  if (!Array.isArray(input.rules) || input.rules.length === 0) throw NodeError.INVALID_CONFIG('bridge.rules', 'expected at least one mapping rule')
  const rules = readRules(input.rules, 'bridge.rules')
  return {
    broker,
    caFile: optionalString('caFile'),
    clientId: optionalString('clientId'),
    username: optionalString('username'),
    password: optionalString('password'),
    passwordFile: optionalString('passwordFile'),
    protocolVersion: input.protocolVersion ?? BRIDGE_DEFAULTS.protocolVersion,
    rules,
    maxPayloadBytes: number('maxPayloadBytes'),
    commandTopics: stringArray(input, 'commandTopics', 'bridge.'),
    flushMs: number('flushMs'),
    maxBatch: number('maxBatch')
  }
}

export function readRules (input: unknown, field: string): MappingRule[] {
  if (!Array.isArray(input)) throw NodeError.INVALID_CONFIG(field, 'expected a list of mapping rules')
  return input.map((rule, i) => {
    if (!isRecord(rule) || typeof rule.filter !== 'string' || typeof rule.feed !== 'string' || typeof rule.decoder !== 'string') {
      throw NodeError.INVALID_CONFIG(`${field}.${i}`, 'expected { filter, feed, decoder }')
    }
    return { filter: rule.filter, feed: rule.feed, decoder: rule.decoder } as MappingRule
  })
}

// Types only: lanIngestProblems checks the values. A key is never part of a message.
function readLanIngest (input: unknown): LanIngestSettings {
  if (!isRecord(input)) throw NodeError.INVALID_CONFIG('lanIngest', 'expected an object or null')
  const port = wholeNumber(input.port ?? LAN_INGEST_DEFAULTS.port, 'lanIngest.port')
  const host = input.host ?? LAN_INGEST_DEFAULTS.host
  if (typeof host !== 'string') throw NodeError.INVALID_CONFIG('lanIngest.host', 'expected an IPv4 address')
  const devices = input.devices ?? []
  if (!Array.isArray(devices)) throw NodeError.INVALID_CONFIG('lanIngest.devices', 'expected a list of devices')
  return {
    port,
    host,
    devices: devices.map((device, i) => {
      const at = `lanIngest.devices.${i}`
      if (!isRecord(device) || typeof device.name !== 'string' || typeof device.id !== 'string') {
        throw NodeError.INVALID_CONFIG(at, 'expected { name, id, key or keyFile, rules }')
      }
      const key = device.key ?? null
      const keyFile = device.keyFile ?? null
      if (key !== null && typeof key !== 'string') throw NodeError.INVALID_CONFIG(`${at}.key`, 'expected a string or null')
      if (keyFile !== null && typeof keyFile !== 'string') throw NodeError.INVALID_CONFIG(`${at}.keyFile`, 'expected a string or null')
      return { name: device.name, id: device.id, key, keyFile, rules: readRules(device.rules, `${at}.rules`) }
    })
  }
}
