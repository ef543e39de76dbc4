// `roost provision`: from a checked fleet to a folder holding, per device, its own
// identity and node config (for a Lua agent router: its device id and key and its UCI
// config, and its entry in its node's config), per board one artifact its devices share,
// and an inventory of public keys (layout.ts). Run again, it changes only what the fleet
// file changed: a device keeps its key unless rotated, an unchanged file is not written
// again, and a run killed midway leaves every device either without an identity or with a
// whole one (secret-file.ts), so the next run completes it.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { createIdentity, loadIdentity, rotateIdentity, type KeyPair } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { secretFileExists } from '../../node/identity/secret-file.ts'
import { buildArtifact, namesTlsBroker } from '../../targets/artifact.ts'
import type { Runtime } from '../../targets/bundle.ts'
import { buildAgentArtifact } from '../../targets/lua/artifact.ts'
import { INSTALL_DIR, serviceFile } from '../../targets/service.ts'
import type { Board } from '../config/boards.ts'
import type { Fleet, FleetDevice } from '../config/fleet.ts'
import { agentKeysOf, agentUciText, withAgents, type AgentKeys } from './agent.ts'
import { ProvisionError } from './errors.ts'
import {
  AGENT_KEY_FILE, agentKeyFile, agentUciFile, artifactName, deviceConfigFile, deviceDir, deviceIdentityFile, fleetFile, inventoryFile,
  nodeLanKeysDir, type FleetMarker, type Inventory, type InventoryDevice
} from './layout.ts'

export interface ProvisionOptions {
  fleet: Fleet
  outDir: string
  // The fleet's operator key: the file's, or the provisioning CLI's own.
  operatorKey: string
  // Devices whose identity is replaced by a new one.
  rotate?: readonly string[]
  // Provision into a folder that holds another fleet, or something else.
  force?: boolean
  // The JavaScript runtime of the artifacts (default: Bare; Node.js for hosts that have it).
  runtime?: Runtime
  // One line per board built and per device provisioned.
  onProgress?: (line: string) => void
}

export interface ProvisionResult {
  inventory: Inventory
  // Files this run wrote, relative to the folder, '/'-separated; empty when nothing changed.
  written: string[]
}

export async function provision (opts: ProvisionOptions): Promise<ProvisionResult> {
  const { fleet, operatorKey } = opts
  const runtime = opts.runtime ?? 'bare'
  const outDir = path.resolve(opts.outDir)
  const say = opts.onProgress ?? (() => {})
  const names = fleet.devices.map((d) => d.name)
  for (const name of opts.rotate ?? []) {
    if (!names.includes(name)) throw ProvisionError.NOT_IN_FLEET(name, names)
  }
  checkFolder(outDir, fleet.name, opts.force === true)
  const written: string[] = []
  const write = (file: string, text: string, mode = 0o644): void => {
    if (writeIfChanged(file, text, mode)) written.push(path.relative(outDir, file).split(path.sep).join('/'))
  }
  write(fleetFile(outDir), json({ version: 1, fleet: fleet.name, operatorKey } satisfies FleetMarker))

  // Every agent's id and key first: a node's config names its agents, wherever they are
  // in the file. The ids of the nodes' own lan_ingest devices are not given to an agent.
  const taken = new Set(fleet.devices.flatMap((d) => d.config?.lanIngest?.devices.map((l) => l.id) ?? []))
  const agentKeys = new Map<string, { keys: AgentKeys, state: string }>()
  for (const device of fleet.devices) {
    if (device.agent === null) continue
    fs.mkdirSync(deviceDir(outDir, device.name), { recursive: true, mode: 0o700 })
    removeLeftovers(deviceDir(outDir, device.name))
    const entry = agentKeysOf(agentKeyFile(outDir, device.name), opts.rotate?.includes(device.name) === true, taken)
    taken.add(entry.keys.id)
    if (entry.state !== 'key kept') written.push(`devices/${device.name}/${AGENT_KEY_FILE}`)
    agentKeys.set(device.name, entry)
  }

  // Identities first: a device with the relay role relays for the fleet's other nodes,
  // so its config names their keys.
  const identities = new Map<string, { keyPair: KeyPair, state: string }>()
  for (const device of fleet.devices) {
    if (device.agent !== null) continue
    fs.mkdirSync(deviceDir(outDir, device.name), { recursive: true, mode: 0o700 })
    removeLeftovers(deviceDir(outDir, device.name))
    identities.set(device.name, identityOf(deviceIdentityFile(outDir, device.name), opts.rotate?.includes(device.name) === true))
  }
  const fleetKeys = [...identities].map(([name, { keyPair }]) => ({ name, key: encodeKey(keyPair.publicKey) }))

  const built = new Set<string>()
  const devices: InventoryDevice[] = []
  for (const [i, device] of fleet.devices.entries()) {
    const { board } = device
    const name = sharedArtifactName(board, runtime)
    if (!built.has(name)) {
      built.add(name)
      const started = performance.now()
      // One artifact serves every device of the board: it carries TLS if one of them
      // reads an mqtts:// broker.
      const tls = fleet.devices.some((d) => d.board.id === board.id && namesTlsBroker(d.config ?? undefined))
      const changed = await buildShared(board, runtime, outDir, tls)
      if (changed) written.push(`artifacts/${name}/`)
      say(`board ${board.id} (${board.host}): ${board.program === 'lua-agent' ? 'Lua agent ' : ''}artifact ${changed ? 'built' : 'unchanged'} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }
    const others = fleetKeys.filter((k) => k.name !== device.name).map((k) => k.key)
    const entry = device.agent === null
      ? provisionDevice(device, fleet, agentKeys, outDir, operatorKey, runtime, identities.get(device.name)!, others, write)
      : provisionAgent(device, fleet.name, agentKeys.get(device.name)!, outDir, write)
    devices.push(entry.device)
    say(`[${i + 1}/${fleet.devices.length}] ${device.name.padEnd(20)} ${board.id.padEnd(22)} ${entry.keyState}`)
  }

  const inventory: Inventory = {
    version: 1,
    fleet: fleet.name,
    operatorKey,
    devices: devices.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }
  write(inventoryFile(outDir), json(inventory))
  return { inventory, written }
}

// A folder that is new, empty, or this fleet's; another fleet's only with --force.
function checkFolder (outDir: string, fleet: string, force: boolean): void {
  if (!fs.existsSync(outDir)) return
  let marker: Partial<FleetMarker> | null = null
  try {
    marker = JSON.parse(fs.readFileSync(fleetFile(outDir), 'utf8')) as Partial<FleetMarker>
  } catch {}
  if (force) return
  if (marker === null) {
    if (fs.readdirSync(outDir).length > 0) throw ProvisionError.NOT_A_FLEET_FOLDER(outDir)
    return
  }
  if (marker.fleet !== fleet) throw ProvisionError.FOREIGN_FLEET(outDir, String(marker.fleet), fleet)
}

type WriteFile = (file: string, text: string, mode?: number) => void

function provisionDevice (device: FleetDevice, fleet: Fleet, agentKeys: ReadonlyMap<string, { keys: AgentKeys }>, outDir: string,
  operatorKey: string, runtime: Runtime, identity: { keyPair: KeyPair, state: string }, fleetKeys: string[], write: WriteFile): { device: InventoryDevice, keyState: string } {
  const { name, board } = device
  const dir = deviceDir(outDir, name)
  const entry: InventoryDevice = {
    name,
    board: board.id,
    host: board.host,
    program: board.program,
    publicKey: null,
    roles: device.config!.roles,
    artifact: `artifacts/${sharedArtifactName(board, runtime)}`,
    device: `devices/${name}`
  }
  const { keyPair, state } = identity
  entry.publicKey = encodeKey(keyPair.publicKey)
  const agents = fleet.devices.flatMap((d) => d.agent?.node === name ? [{ name: d.name, id: agentKeys.get(d.name)!.keys.id, agent: d.agent }] : [])
  const config: NodeConfigFile = withAgents({ ...device.config!, operatorKey }, agents)
  if (config.roles.includes('relay')) {
    const given = config.relay?.keys ?? []
    config.relay = { ...config.relay, keys: [...given, ...fleetKeys.filter((k) => !given.includes(k))] }
  }
  // A broker password written into the fleet file is a secret in this file too.
  write(deviceConfigFile(outDir, name), json(config), config.bridge?.password != null ? 0o600 : 0o644)
  writeLanKeys(nodeLanKeysDir(outDir, name), agents.map((a) => ({ name: a.name, key: agentKeys.get(a.name)!.keys.key })), write)
  // The unit or init script of this device: its memory budget may differ from its board's.
  const service = serviceFile(board, runtime === 'bare' ? `${INSTALL_DIR}/bin/bare` : '/usr/bin/node')
  write(path.join(dir, service.name), service.text, service.mode)
  return { device: entry, keyState: `${state} ${entry.publicKey}${agents.length > 0 ? ` (${agents.length} agent${agents.length === 1 ? '' : 's'})` : ''}` }
}

// The node's copies of its agents' keys, one file each (mode 0600, in a folder only its
// owner may enter); the key of an agent that no longer names this node is removed.
function writeLanKeys (dir: string, keys: ReadonlyArray<{ name: string, key: string }>, write: WriteFile): void {
  if (keys.length > 0) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
    for (const { name, key } of keys) write(path.join(dir, `${name}.key`), key + '\n', 0o600)
  }
  if (!fs.existsSync(dir)) return
  const wanted = new Set(keys.map((k) => `${k.name}.key`))
  for (const file of fs.readdirSync(dir)) if (!wanted.has(file)) fs.rmSync(path.join(dir, file), { force: true })
  if (keys.length === 0) fs.rmSync(dir, { recursive: true, force: true })
}

// A Lua agent router: its UCI config (with its key, mode 0600) from the key kept in its
// folder. It has no node identity; its node's config holds its id and key file.
function provisionAgent (device: FleetDevice, fleet: string, entry: { keys: AgentKeys, state: string }, outDir: string, write: WriteFile):
{ device: InventoryDevice, keyState: string } {
  const { name, board } = device
  const agent = device.agent!
  write(agentUciFile(outDir, name), agentUciText(name, fleet, agent, entry.keys), 0o600)
  return {
    device: {
      name,
      board: board.id,
      host: board.host,
      program: board.program,
      publicKey: null,
      roles: [],
      artifact: `artifacts/${sharedArtifactName(board, 'bare')}`,
      device: `devices/${name}`,
      agent: { node: agent.node, deviceId: entry.keys.id }
    },
    keyState: `${entry.state} (Lua agent of ${agent.node}, id ${entry.keys.id})`
  }
}

// A run killed while writing leaves its temporary files (whole or cut short, never under
// a real name): the next run removes them.
function removeLeftovers (dir: string): void {
  for (const name of fs.readdirSync(dir)) if (name.endsWith('.tmp')) fs.rmSync(path.join(dir, name), { force: true })
}

function identityOf (file: string, rotate: boolean): { keyPair: KeyPair, state: string } {
  if (!secretFileExists(file)) return { keyPair: createIdentity(file), state: 'new key' }
  if (rotate) return { keyPair: rotateIdentity(file), state: 'new key (rotated)' }
  // An identity that does not load is refused, never replaced (IDENTITY_CORRUPT names it).
  return { keyPair: loadIdentity(file), state: 'key kept' }
}

// A Lua agent's artifact has no runtime to choose: one per board whatever --runtime says.
function sharedArtifactName (board: Board, runtime: Runtime): string {
  return artifactName(board.id, board.program === 'lua-agent' ? 'bare' : runtime)
}

// The board's artifact (the node's, or the Lua agent's), built once per run into a staging
// folder and moved into place only when it differs from the one there (builds are
// byte-identical for the same inputs).
async function buildShared (board: Board, runtime: Runtime, outDir: string, tls: boolean): Promise<boolean> {
  const name = sharedArtifactName(board, runtime)
  const final = path.join(outDir, 'artifacts', name)
  const staging = path.join(outDir, '.staging', name)
  fs.rmSync(staging, { recursive: true, force: true })
  try {
    const { manifest } = board.program === 'lua-agent'
      ? await buildAgentArtifact({ board, outDir: staging })
      : await buildArtifact({ board, runtime, outDir: staging, tls })
    if (sameFiles(manifest, path.join(final, 'manifest.json'))) return false
    fs.mkdirSync(path.dirname(final), { recursive: true })
    const old = `${final}.old`
    fs.rmSync(old, { recursive: true, force: true })
    if (fs.existsSync(final)) fs.renameSync(final, old)
    fs.renameSync(staging, final)
    fs.rmSync(old, { recursive: true, force: true })
    return true
  } finally {
    fs.rmSync(path.join(outDir, '.staging'), { recursive: true, force: true })
  }
}

function sameFiles (manifest: object, existing: string): boolean {
  try {
    return JSON.stringify(JSON.parse(fs.readFileSync(existing, 'utf8'))) === JSON.stringify(manifest)
  } catch {
    return false
  }
}

function json (value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

// Writes only when the bytes differ, whole (a temporary file renamed into place): a run
// that changes nothing writes nothing.
function writeIfChanged (file: string, text: string, mode: number): boolean {
  try {
    if (fs.readFileSync(file, 'utf8') === text) return false
  } catch {}
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`
  fs.writeFileSync(tmp, text, { mode })
  fs.chmodSync(tmp, mode)
  fs.renameSync(tmp, file)
  return true
}
