// The node-wide rules of a config: roles, bootstrap nodes, keys, the storage folder and
// the storage peer's limits. Each returns every problem it finds (problems.ts).
import { isPublicKey } from '../identity/keys.ts'
import { readBootstrap } from './bootstrap.ts'
import { CONFIG_JSON_WORDS, rangeProblems, type FieldWords, type Problem, type Range } from './problems.ts'
import type { NodeConfigFile, StoragePeerSettings } from './types.ts'

const MIB = 1024 * 1024

// A role listed twice would be started twice.
export function roleProblems (roles: readonly string[]): Problem[] {
  return roles.flatMap((role, i) => roles.indexOf(role) === i
    ? []
    : [{ path: ['roles', i], reason: 'expected each role once', showsValue: true }])
}

export function bootstrapProblems (bootstrap: readonly string[]): Problem[] {
  return bootstrap.flatMap((entry, i) => readBootstrap(entry) !== null
    ? []
    : [{ path: ['bootstrap', i], reason: 'expected host:port (e.g. 127.0.0.1:49737)', showsValue: true }])
}

const KEY_REASON = 'expected a public key (52 z-base-32 or 64 hex characters)'

export function keyProblems (config: Pick<NodeConfigFile, 'trustedKeys' | 'operatorKey' | 'peers'>): Problem[] {
  const notKey = (path: Problem['path'], key: string): Problem[] => isPublicKey(key) ? [] : [{ path, reason: KEY_REASON, showsValue: true }]
  return [
    ...config.trustedKeys.flatMap((key, i) => notKey(['trustedKeys', i], key)),
    ...(config.operatorKey === null ? [] : notKey(['operatorKey'], config.operatorKey)),
    ...config.peers.flatMap((key, i) => notKey(['peers', i], key))
  ]
}

// The folder is on the device, whose working folder is the service's, not the user's.
export function dataDirProblems (dataDir: string): Problem[] {
  return dataDir.startsWith('/') ? [] : [{ path: ['dataDir'], reason: 'expected an absolute path on the device', showsValue: true }]
}

// In config.json's units (bytes, cores, milliseconds); the YAML writes sizes in MiB,
// so a size below 1 MiB is one no YAML file can ask for. A memtable goes up to rocksdb's
// own default of 64 MiB, whose measured memory cost is in storage/corestore.ts.
export const STORAGE_PEER_LIMITS: Readonly<Record<keyof StoragePeerSettings, Range>> = {
  budgetBytes: { min: MIB },
  quotaBytes: { min: MIB },
  quotaCores: { min: 1 },
  reserveBytes: { min: 0 },
  maxOpenCores: { min: 1, max: 4096 },
  findTimeoutMs: { min: 0 },
  maxPeerCores: { min: 1, max: 100_000 },
  memtableBytes: { min: MIB, max: 64 * MIB }
}

export function storagePeerProblems (settings: StoragePeerSettings, words: FieldWords = CONFIG_JSON_WORDS): Problem[] {
  return rangeProblems('storagePeer', settings, STORAGE_PEER_LIMITS, words)
}
