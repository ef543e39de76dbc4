// What `roost provision --out DIR` writes, and where: the one description the install
// paths (flash, deploy, packages) and `roost fleet status` read it by.
//
//   DIR/fleet.json               which fleet this folder belongs to (name, operator key)
//   DIR/inventory.json           every device: name, board, host, public key, roles, paths
//   DIR/artifacts/<board>/       the board's artifact (roost build), shared by its devices
//                                (<board>-node/ when provisioned with --runtime node)
//   DIR/devices/<name>/identity.json   the device's secret key (mode 0600, never printed)
//   DIR/devices/<name>/config.json     the device's node config (config.json of the artifact
//                                      format, with dataDir = the board's storage path)
//   DIR/devices/<name>/lan-keys/<agent>.key   a node's copy of each of its agents' keys (mode
//                                      0600), named by its config as lan-keys/<agent>.key,
//                                      inside the node's data folder
//
// A Lua agent device (a router that runs the agent, not the node) has no identity or
// config.json; its board's artifact is the agent's (the Lua file, init script, .ipk):
//   DIR/devices/<agent>/agent-key.json   its device id and key (mode 0600, never printed)
//   DIR/devices/<agent>/roost-agent.uci  its /etc/config/roost-agent (mode 0600: it holds the key)
//
// On the device the artifact goes to /opt/roost (targets/service.ts INSTALL_DIR), the
// config to /opt/roost/config.json, and the identity into the node's data folder
// (config.dataDir, e.g. /var/lib/roost/identity.json), where the node loads it
// (node/identity/identity.ts) instead of making a new one.
import path from 'node:path'
import { IDENTITY_FILE } from '../../node/identity/identity.ts'
import type { Role } from '../../node/config/types.ts'
import type { Runtime } from '../../targets/bundle.ts'
import { AGENT_UCI_FILE } from '../../targets/lua/procd.ts'
import type { BoardProgram, Host } from '../config/boards.ts'

// The provisioning folder the commands use when --out names none, relative to where they run.
export const DEFAULT_PROVISION_DIR = 'provision'

export const FLEET_FILE = 'fleet.json'
export const INVENTORY_FILE = 'inventory.json'
export const DEVICE_CONFIG_FILE = 'config.json'
export { IDENTITY_FILE }
export const AGENT_KEY_FILE = 'agent-key.json'
export { AGENT_UCI_FILE }
// In a node's device folder and in its data folder on the device (install.sh --lan-keys).
export const LAN_KEYS_DIR = 'lan-keys'

// The fleet a provisioning folder belongs to: a run for another fleet is refused
// unless --force, so one fleet's keys are never mixed into or overwritten by another's.
export interface FleetMarker {
  version: 1
  fleet: string
  operatorKey: string
}

export interface InventoryDevice {
  name: string
  board: string
  host: Host
  program: BoardProgram
  // z-base-32; null for a Lua agent device, which has no node identity.
  publicKey: string | null
  roles: Role[]
  // Relative to the provisioning folder, '/'-separated: the board's artifact (the node's,
  // or the Lua agent's; null in inventories written before agents were provisioned) and
  // the device's folder (identity and config, or the agent's key and UCI config).
  artifact: string | null
  device: string
  // A Lua agent device: the node that takes its readings, and its device id (not secret:
  // every datagram carries it). Absent for a node.
  agent?: InventoryAgent
}

export interface InventoryAgent {
  node: string
  deviceId: string
}

export interface Inventory {
  version: 1
  fleet: string
  operatorKey: string
  // Sorted by name.
  devices: InventoryDevice[]
}

export function fleetFile (outDir: string): string {
  return path.join(outDir, FLEET_FILE)
}

export function inventoryFile (outDir: string): string {
  return path.join(outDir, INVENTORY_FILE)
}

export function artifactName (boardId: string, runtime: Runtime = 'bare'): string {
  return runtime === 'bare' ? boardId : `${boardId}-node`
}

export function artifactDir (outDir: string, boardId: string, runtime: Runtime = 'bare'): string {
  return path.join(outDir, 'artifacts', artifactName(boardId, runtime))
}

export function deviceDir (outDir: string, name: string): string {
  return path.join(outDir, 'devices', name)
}

export function deviceIdentityFile (outDir: string, name: string): string {
  return path.join(deviceDir(outDir, name), IDENTITY_FILE)
}

export function deviceConfigFile (outDir: string, name: string): string {
  return path.join(deviceDir(outDir, name), DEVICE_CONFIG_FILE)
}

export function agentKeyFile (outDir: string, name: string): string {
  return path.join(deviceDir(outDir, name), AGENT_KEY_FILE)
}

export function agentUciFile (outDir: string, name: string): string {
  return path.join(deviceDir(outDir, name), AGENT_UCI_FILE)
}

// As the node's config names it: inside its data folder.
export function lanKeyRef (agent: string): string {
  return `${LAN_KEYS_DIR}/${agent}.key`
}

export function nodeLanKeysDir (outDir: string, node: string): string {
  return path.join(deviceDir(outDir, node), LAN_KEYS_DIR)
}
