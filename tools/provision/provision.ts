// `roost provision`: from a checked fleet to a folder holding, per device, its own
// identity and node config, per board one artifact its devices share, and an inventory
// of public keys (layout.ts). Run again, it changes only what the fleet file changed:
// a device keeps its key unless rotated, an unchanged file is not written again, and a
// run killed midway leaves every device either without an identity or with a whole one
// (secret-file.ts), so the next run completes it.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { createIdentity, loadIdentity, rotateIdentity, type KeyPair } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { secretFileExists } from '../../node/identity/secret-file.ts'
import { buildArtifact, type Manifest } from '../../targets/artifact.ts'
import type { Runtime } from '../../targets/bundle.ts'
import { INSTALL_DIR, serviceFile } from '../../targets/service.ts'
import type { Board } from '../config/boards.ts'
import type { Fleet, FleetDevice } from '../config/fleet.ts'
import { ProvisionError } from './errors.ts'
import {
  artifactDir, artifactName, deviceConfigFile, deviceDir, deviceIdentityFile, fleetFile, inventoryFile,
  type FleetMarker, type Inventory, type InventoryDevice
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

  // Identities first: a device with the relay role relays for the fleet's other nodes,
  // so its config names their keys.
  const identities = new Map<string, { keyPair: KeyPair, state: string }>()
  for (const device of fleet.devices) {
    if (device.config === null) continue
    fs.mkdirSync(deviceDir(outDir, device.name), { recursive: true, mode: 0o700 })
    removeLeftovers(deviceDir(outDir, device.name))
    identities.set(device.name, identityOf(deviceIdentityFile(outDir, device.name), opts.rotate?.includes(device.name) === true))
  }
  const fleetKeys = [...identities].map(([name, { keyPair }]) => ({ name, key: encodeKey(keyPair.publicKey) }))

  const built = new Set<string>()
  const devices: InventoryDevice[] = []
  for (const [i, device] of fleet.devices.entries()) {
    const { board } = device
    if (board.program === 'bare' && !built.has(board.id)) {
      built.add(board.id)
      const started = performance.now()
      const changed = await buildShared(board, runtime, outDir)
      if (changed) written.push(`artifacts/${artifactName(board.id, runtime)}/`)
      say(`board ${board.id} (${board.host}): artifact ${changed ? 'built' : 'unchanged'} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    }
    const others = fleetKeys.filter((k) => k.name !== device.name).map((k) => k.key)
    const entry = provisionDevice(device, outDir, operatorKey, runtime, identities.get(device.name) ?? null, others, write)
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

function provisionDevice (device: FleetDevice, outDir: string, operatorKey: string, runtime: Runtime,
  identity: { keyPair: KeyPair, state: string } | null, fleetKeys: string[], write: WriteFile): { device: InventoryDevice, keyState: string } {
  const { name, board } = device
  const dir = deviceDir(outDir, name)
  const entry: InventoryDevice = {
    name,
    board: board.id,
    host: board.host,
    program: board.program,
    publicKey: null,
    roles: device.config?.roles ?? [],
    artifact: board.program === 'bare' ? `artifacts/${artifactName(board.id, runtime)}` : null,
    device: `devices/${name}`
  }
  // A Lua agent board runs no node: it has no node identity or config here.
  if (device.config === null || identity === null) return { device: entry, keyState: 'Lua agent: no node' }
  const { keyPair, state } = identity
  entry.publicKey = encodeKey(keyPair.publicKey)
  const config: NodeConfigFile = { ...device.config, operatorKey }
  if (config.roles.includes('relay')) {
    const given = config.relay?.keys ?? []
    config.relay = { ...config.relay, keys: [...given, ...fleetKeys.filter((k) => !given.includes(k))] }
  }
  // A broker password written into the fleet file is a secret in this file too.
  write(deviceConfigFile(outDir, name), json(config), config.bridge?.password != null ? 0o600 : 0o644)
  // The unit or init script of this device: its memory budget may differ from its board's.
  const service = serviceFile(board, runtime === 'bare' ? `${INSTALL_DIR}/bin/bare` : '/usr/bin/node')
  write(path.join(dir, service.name), service.text, service.mode)
  return { device: entry, keyState: `${state} ${entry.publicKey}` }
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

// The board's artifact, built once per run into a staging folder and moved into place
// only when it differs from the one there (builds are byte-identical for the same inputs).
async function buildShared (board: Board, runtime: Runtime, outDir: string): Promise<boolean> {
  const final = artifactDir(outDir, board.id, runtime)
  const staging = path.join(outDir, '.staging', artifactName(board.id, runtime))
  fs.rmSync(staging, { recursive: true, force: true })
  try {
    const { manifest } = await buildArtifact({ board, runtime, outDir: staging })
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

function sameFiles (manifest: Manifest, existing: string): boolean {
  try {
    const old = JSON.parse(fs.readFileSync(existing, 'utf8')) as Manifest
    return JSON.stringify(old) === JSON.stringify(manifest)
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
