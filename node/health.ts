// The node's health as its operator sees it in `roost fleet status`: what it runs, how
// long it has run, its data folder against the storage budget, what each role holds,
// the broker, its last errors and its memory. Read fresh for every request; nothing
// here is kept between requests but the error ring it is handed.
import type { NodeConfig } from './config/types.ts'
import { folderBytes } from './folder-bytes.ts'
import { hostName, processMemory, roostVersion, runtimeName } from './platform/facts.ts'
import type { NodeFacts, NodeHealth } from './protocol/health-messages.ts'
import type { ErrorMemory } from './recent-errors.ts'
import type { BridgeRole } from './roles/bridge.ts'
import type { LanIngestRole } from './roles/lan-ingest.ts'
import type { StorageRole } from './roles/storage.ts'

export interface HealthSources {
  config: NodeConfig
  startedAt: number
  errors: ErrorMemory
  // The roles running now: null before they start, or when the config has none.
  bridge (): BridgeRole | null
  storage (): StorageRole | null
  lanIngest? (): LanIngestRole | null
}

// mqtt.js errors without a code of their own are logged without one (bridge.ts).
const UNNAMED_BROKER_ERROR = 'BROKER_ERROR'

// What the node's status and its health both begin with.
export function nodeFacts (config: NodeConfig, startedAt: number): NodeFacts {
  return {
    version: roostVersion,
    boardId: config.boardId,
    host: hostName(),
    runtime: runtimeName,
    roles: config.roles,
    uptimeMs: Date.now() - startedAt
  }
}

export function nodeHealth ({ config, startedAt, errors, bridge, storage, lanIngest }: HealthSources): NodeHealth {
  const bridgeRole = bridge()
  const storageRole = storage()
  const lanRole = lanIngest?.() ?? null
  // Both roles hold the node's one set of feeds.
  const feeds = bridgeRole?.feeds ?? lanRole?.feeds ?? null
  const lastBrokerError = errors.last('broker-error')
  return {
    ...nodeFacts(config, startedAt),
    dataBytes: folderBytes(config.dataDir),
    budgetBytes: config.storagePeer.budgetBytes,
    coresKept: storageRole ? storageRole.keeper.status().cores : null,
    feeds: feeds ? feeds.list().map(({ name, length }) => ({ name, length })) : null,
    broker: bridgeRole
      ? {
          connected: bridgeRole.bridge.stats().connected,
          reconnects: bridgeRole.bridge.stats().reconnects,
          lastErrorCode: lastBrokerError === null ? null : lastBrokerError.code ?? UNNAMED_BROKER_ERROR
        }
      : null,
    errors: errors.recent(),
    memory: processMemory(),
    lanIngest: lanRole ? lanRole.stats() : null
  }
}
