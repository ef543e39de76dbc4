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
//
// On the device the artifact goes to /opt/roost (targets/service.ts INSTALL_DIR), the
// config to /opt/roost/config.json, and the identity into the node's data folder
// (config.dataDir, e.g. /var/lib/roost/identity.json), where the node loads it
// (node/identity/identity.ts) instead of making a new one.
import path from 'node:path'
import { IDENTITY_FILE } from '../../node/identity/identity.ts'
import type { Role } from '../../node/config/types.ts'
import type { Runtime } from '../../targets/bundle.ts'
import type { BoardProgram, Host } from '../config/boards.ts'

// The provisioning folder the commands use when --out names none, relative to where they run.
export const DEFAULT_PROVISION_DIR = 'provision'

export const FLEET_FILE = 'fleet.json'
export const INVENTORY_FILE = 'inventory.json'
export const DEVICE_CONFIG_FILE = 'config.json'
export { IDENTITY_FILE }

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
  // Relative to the provisioning folder, '/'-separated: the board's artifact (null for a
  // board without a Bare runtime) and the device's folder (identity and config).
  artifact: string | null
  device: string
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
