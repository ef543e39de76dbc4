// The Lua agent devices of a provisioned fleet: each one's device id and key (made once,
// kept until --rotate), its /etc/config/roost-agent, and its entry in its node's config
// with the node's copy of the key in a file beside it (layout.ts).
import crypto from 'node:crypto'
import fs from 'node:fs'
import { DEVICE_ID, DEVICE_KEY } from '../../node/config/lan-ingest-rules.ts'
import { LAN_INGEST_DEFAULTS, type LanDevice, type NodeConfigFile } from '../../node/config/types.ts'
import { createSecretJson, replaceSecretJson, secretFileExists } from '../../node/identity/secret-file.ts'
import { agentUciConfig } from '../../targets/lua/uci-config.ts'
import type { FleetAgent } from '../config/fleet-agent.ts'
import { ProvisionError } from './errors.ts'
import { lanKeyRef } from './layout.ts'

export interface AgentKeys {
  // 16 and 64 lower-case hex characters.
  id: string
  key: string
}

// `taken`: ids the agent must not get (other agents', the node's own devices'); a new id
// is added to it. A rotated device keeps its id: the node's window for it and the
// sequence numbers in the router's queue go on.
export function agentKeysOf (file: string, rotate: boolean, taken: Set<string>): { keys: AgentKeys, state: string } {
  if (!secretFileExists(file)) {
    const keys = { id: newId(taken), key: newKey() }
    createSecretJson(file, { version: 1, ...keys })
    return { keys, state: 'new key' }
  }
  if (rotate) {
    let id: string
    try {
      id = readAgentKeys(file).id
    } catch {
      id = newId(taken)
    }
    const keys = { id, key: newKey() }
    replaceSecretJson(file, { version: 1, ...keys })
    return { keys, state: 'new key (rotated)' }
  }
  return { keys: readAgentKeys(file), state: 'key kept' }
}

export function readAgentKeys (file: string): AgentKeys {
  const mode = fs.statSync(file).mode
  if ((mode & 0o077) !== 0) throw ProvisionError.AGENT_KEY_FILE(file, `readable by group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`)
  let parsed: unknown
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    throw ProvisionError.AGENT_KEY_FILE(file, 'not readable JSON (truncated or overwritten?)')
  }
  const { id, key } = (parsed ?? {}) as { id?: unknown, key?: unknown }
  if (typeof id !== 'string' || !DEVICE_ID.test(id)) throw ProvisionError.AGENT_KEY_FILE(file, 'expected an id of 16 lower-case hex characters')
  if (typeof key !== 'string' || !DEVICE_KEY.test(key)) throw ProvisionError.AGENT_KEY_FILE(file, 'expected a key of 64 lower-case hex characters')
  return { id, key }
}

function newId (taken: Set<string>): string {
  let id = crypto.randomBytes(8).toString('hex')
  while (taken.has(id)) id = crypto.randomBytes(8).toString('hex')
  taken.add(id)
  return id
}

function newKey (): string {
  return crypto.randomBytes(32).toString('hex')
}

// The router's /etc/config/roost-agent.
export function agentUciText (name: string, fleet: string, agent: FleetAgent, keys: AgentKeys): string {
  return agentUciConfig({ ...agent.settings, ...keys }, [
    `roost Lua agent: device ${name} of fleet ${fleet}, sending to node ${agent.node}. Written by roost provision;`,
    'edit the fleet file and provision again rather than this file.'
  ]).text
}

// The node's config with its agents added to its lan-ingest devices, each by a key file
// inside its data folder, after the devices the fleet file gives it.
export function withAgents (config: NodeConfigFile, agents: ReadonlyArray<{ name: string, id: string, agent: FleetAgent }>): NodeConfigFile {
  if (agents.length === 0) return config
  const lanIngest = config.lanIngest ?? { ...LAN_INGEST_DEFAULTS, devices: [] }
  const added = agents.map(({ name, id, agent }): LanDevice => ({ name, id, key: null, keyFile: lanKeyRef(name), rules: agent.rules }))
  return { ...config, lanIngest: { ...lanIngest, devices: [...lanIngest.devices, ...added] } }
}
