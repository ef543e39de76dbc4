// Agent devices kept in the node's data folder, one file per device in agents/
// (NAME.json, mode 0600): `roost agent add` writes one and `roost agent remove` deletes
// it on the node's machine, while the node reads the folder at start and watches it
// (devices.ts), as it does trusted/ for paired keys. One file per device lets the CLI
// and the node work at once without a lock, and keeps keys out of config.json, which
// is rewritten by every `roost build` (docs/decisions/lan-ingest-node.md). Also the
// device key files a config names.
import fs from '#fs'
import path from '#path'
import b4a from 'b4a'
import crypto from 'hypercore-crypto'
import type { MappingRule } from '../bridge/rules.ts'
import { lanDeviceProblems } from '../config/lan-ingest-rules.ts'
import { isRecord } from '../config/problems.ts'
import type { LanDevice } from '../config/types.ts'
import { NodeError } from '../errors.ts'
import { createSecretJson, readPrivateFile } from '../identity/secret-file.ts'

export const AGENTS_DIR = 'agents'

export interface AgentDevice extends LanDevice {
  key: string
  keyFile: null
  addedAt: number | null
}

export type AgentFileRead = { file: string, device: AgentDevice } | { file: string, error: NodeError }

export function agentsDir (dataDir: string): string {
  return path.join(dataDir, AGENTS_DIR)
}

export function agentFile (dataDir: string, name: string): string {
  return path.join(agentsDir(dataDir), `${name}.json`)
}

// A fresh device id (8 bytes) and key (32), in hex, for `roost agent add`.
export function newDeviceKeys (): { id: string, key: string } {
  return { id: b4a.toString(crypto.randomBytes(8), 'hex'), key: b4a.toString(crypto.randomBytes(32), 'hex') }
}

// Never replaces a device of that name: the file is linked in whole or not at all
// (secret-file.ts), and linking fails with EEXIST if it is there.
export function writeAgentFile (dataDir: string, device: { name: string, id: string, key: string, rules: MappingRule[] }, now: number): void {
  fs.mkdirSync(agentsDir(dataDir), { recursive: true, mode: 0o700 })
  createSecretJson(agentFile(dataDir, device.name), { version: 1, name: device.name, id: device.id, key: device.key, rules: device.rules, addedAt: now })
}

export function removeAgentFile (dataDir: string, name: string): boolean {
  try {
    fs.unlinkSync(agentFile(dataDir, name))
    return true
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return false
    throw err
  }
}

// Every NAME.json in agents/, in name order, each a device or the reason it is not one.
export function readAgentFiles (dataDir: string): AgentFileRead[] {
  let names: string[]
  try {
    names = (fs.readdirSync(agentsDir(dataDir)) as string[]).filter((n) => n.endsWith('.json')).sort()
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return []
    throw err
  }
  return names.map((name) => {
    const file = path.join(agentsDir(dataDir), name)
    try {
      return { file, device: readAgentFile(file, name.slice(0, -'.json'.length)) }
    } catch (err) {
      return { file, error: err instanceof NodeError ? err : NodeError.LAN_AGENT_FILE(file, (err as Error).message) }
    }
  })
}

function readAgentFile (file: string, name: string): AgentDevice {
  const body = readPrivateFile(file, NodeError.LAN_AGENT_FILE, NodeError.LAN_KEY_PERMISSIONS)
  let parsed: unknown
  try {
    parsed = JSON.parse(b4a.toString(body))
  } catch {
    throw NodeError.LAN_AGENT_FILE(file, 'not readable JSON (truncated or overwritten?)')
  }
  if (!isRecord(parsed) || parsed.version !== 1 || typeof parsed.id !== 'string' || typeof parsed.key !== 'string' || !Array.isArray(parsed.rules)) {
    throw NodeError.LAN_AGENT_FILE(file, 'expected version 1 with id, key and rules')
  }
  const rules = parsed.rules.map((r) => isRecord(r) ? { filter: String(r.filter), feed: String(r.feed), decoder: String(r.decoder) } as MappingRule : null)
  if (rules.includes(null)) throw NodeError.LAN_AGENT_FILE(file, 'expected each rule as { filter, feed, decoder }')
  const device: AgentDevice = {
    name,
    id: parsed.id,
    key: parsed.key,
    keyFile: null,
    rules: rules as MappingRule[],
    addedAt: typeof parsed.addedAt === 'number' ? parsed.addedAt : null
  }
  if (parsed.name !== name) throw NodeError.LAN_AGENT_FILE(file, `it names device "${String(parsed.name)}", not the "${name}" of its file name`)
  // The key's own problem never shows the key (lan-ingest-rules.ts).
  const problem = lanDeviceProblems(device, [])[0]
  if (problem !== undefined) throw NodeError.LAN_AGENT_FILE(file, `${problem.path.join('.')}: ${problem.reason}`)
  return device
}

// A key file as a config names it: the 64 hex characters, a trailing newline allowed.
export function readKeyFile (file: string): string {
  const text = b4a.toString(readPrivateFile(file, NodeError.LAN_KEY_FILE, NodeError.LAN_KEY_PERMISSIONS)).replace(/\r?\n$/, '')
  if (!/^[0-9a-f]{64}$/.test(text)) throw NodeError.LAN_KEY_FILE(file, 'expected 64 lower-case hex characters and nothing else')
  return text
}
