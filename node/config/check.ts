// The node's own check of config.json, written by `roost build`/`run` and already
// validated by tools/ against the full schema: it re-checks only what it relies on, cheaply.
import { NodeError } from '../errors.ts'
import { decodeKey } from '../identity/keys.ts'
import { checkRules, type MappingRule } from '../bridge/rules.ts'
import { checkTopicFilter } from '../bridge/topic-filter.ts'
import { parseBootstrap } from './bootstrap.ts'
import { BRIDGE_DEFAULTS, DEFAULTS, MQTT_VERSIONS, ROLES, STORAGE_PEER_DEFAULTS } from './types.ts'
import type { BridgeSettings, MqttVersion, NodeConfig, Role, StoragePeerSettings } from './types.ts'

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function stringArray (obj: Record<string, unknown>, field: string): string[] {
  const value = obj[field] ?? []
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw NodeError.INVALID_CONFIG(field, 'expected a list of strings')
  }
  return value
}

export function checkNodeConfig (input: unknown): NodeConfig {
  if (!isObject(input)) throw NodeError.INVALID_CONFIG('(root)', 'expected an object')
  if (input.version !== 1) throw NodeError.INVALID_CONFIG('version', `expected 1, got ${JSON.stringify(input.version)}`)
  if (typeof input.boardId !== 'string' || input.boardId === '') throw NodeError.INVALID_CONFIG('boardId', 'expected a board id')
  if (typeof input.storage !== 'string' || input.storage === '') throw NodeError.INVALID_CONFIG('storage', 'expected a folder path')
  const host = input.host ?? null
  if (host !== null && typeof host !== 'string') throw NodeError.INVALID_CONFIG('host', 'expected an address or null')

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

  const bridge = input.bridge === undefined || input.bridge === null ? null : checkBridge(input.bridge)
  const storagePeer = checkStoragePeer(input.storagePeer ?? {})

  return {
    version: 1,
    boardId: input.boardId,
    storage: input.storage,
    bootstrap: bootstrap.map((b) => ({ host: b.host, port: b.port })),
    host,
    roles: roles as Role[],
    trustedKeys,
    operatorKey,
    peers,
    pingIntervalMs,
    bridge,
    storagePeer
  }
}

const MIN_MEMTABLE_BYTES = 1024 * 1024

function checkStoragePeer (input: unknown): StoragePeerSettings {
  if (!isObject(input)) throw NodeError.INVALID_CONFIG('storagePeer', 'expected an object')
  const settings = { ...STORAGE_PEER_DEFAULTS }
  for (const field of Object.keys(input)) {
    if (!(field in STORAGE_PEER_DEFAULTS)) throw NodeError.INVALID_CONFIG(`storagePeer.${field}`, `unknown field (known: ${Object.keys(STORAGE_PEER_DEFAULTS).join(', ')})`)
    const value = input[field]
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw NodeError.INVALID_CONFIG(`storagePeer.${field}`, 'expected a whole number ≥ 0')
    settings[field as keyof StoragePeerSettings] = value
  }
  if (settings.memtableBytes < MIN_MEMTABLE_BYTES) throw NodeError.INVALID_CONFIG('storagePeer.memtableBytes', `expected at least ${MIN_MEMTABLE_BYTES} (1 MiB)`)
  return settings
}

function checkBridge (input: unknown): BridgeSettings {
  if (!isObject(input)) throw NodeError.INVALID_CONFIG('bridge', 'expected an object or null')
  const broker = input.broker
  if (typeof broker !== 'string' || !/^mqtts?:\/\/[^\s/]+/.test(broker)) {
    throw NodeError.INVALID_CONFIG('bridge.broker', 'expected a broker URL like mqtt://127.0.0.1:1883')
  }
  const optionalString = (field: string): string | null => {
    const value = input[field] ?? null
    if (value !== null && typeof value !== 'string') throw NodeError.INVALID_CONFIG(`bridge.${field}`, 'expected a string or null')
    return value
  }
  const wholeNumber = (field: string, fallback: number, min: number): number => {
    const value = input[field] ?? fallback
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw NodeError.INVALID_CONFIG(`bridge.${field}`, `expected a whole number ≥ ${min}`)
    return value
  }
  if (!Array.isArray(input.rules) || input.rules.length === 0) throw NodeError.INVALID_CONFIG('bridge.rules', 'expected at least one mapping rule')
  const rules = input.rules.map((rule, i) => {
    if (!isObject(rule) || typeof rule.filter !== 'string' || typeof rule.feed !== 'string' || typeof rule.decoder !== 'string') {
      throw NodeError.INVALID_CONFIG(`bridge.rules.${i}`, 'expected { filter, feed, decoder }')
    }
    return { filter: rule.filter, feed: rule.feed, decoder: rule.decoder } as MappingRule
  })
  const problems = checkRules(rules)
  if (problems.length > 0) throw NodeError.INVALID_CONFIG(`bridge.rules.${problems[0].index}.${problems[0].field}`, problems[0].reason)
  const commandTopics = stringArray(input, 'commandTopics')
  for (const filter of commandTopics) {
    const problem = checkTopicFilter(filter)
    if (problem) throw NodeError.INVALID_CONFIG('bridge.commandTopics', `${filter}: ${problem}`)
  }
  const protocolVersion = input.protocolVersion ?? BRIDGE_DEFAULTS.protocolVersion
  if (!(MQTT_VERSIONS as readonly unknown[]).includes(protocolVersion)) {
    throw NodeError.INVALID_CONFIG('bridge.protocolVersion', `expected 4 (MQTT 3.1.1) or 5 (MQTT 5), got ${JSON.stringify(protocolVersion)}`)
  }
  const password = optionalString('password')
  const passwordFile = optionalString('passwordFile')
  if (password !== null && passwordFile !== null) throw NodeError.INVALID_CONFIG('bridge.passwordFile', 'expected either password or passwordFile, not both')
  return {
    broker,
    caFile: optionalString('caFile'),
    clientId: optionalString('clientId'),
    username: optionalString('username'),
    password,
    passwordFile,
    protocolVersion: protocolVersion as MqttVersion,
    rules,
    maxPayloadBytes: wholeNumber('maxPayloadBytes', BRIDGE_DEFAULTS.maxPayloadBytes, 1),
    commandTopics,
    flushMs: wholeNumber('flushMs', BRIDGE_DEFAULTS.flushMs, 0),
    maxBatch: wholeNumber('maxBatch', BRIDGE_DEFAULTS.maxBatch, 1)
  }
}
