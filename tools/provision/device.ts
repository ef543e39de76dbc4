// One device of a provisioning folder, as the install paths (flash, package, deploy) need
// it: its board, the board's artifact, and its own config, identity and service file,
// each checked before anything is written anywhere.
import fs from 'node:fs'
import path from 'node:path'
import { checkNodeConfig } from '../../node/config/check.ts'
import { loadIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { serviceFile } from '../../targets/service.ts'
import { loadBoard, type Board } from '../config/boards.ts'
import { ProvisionError } from './errors.ts'
import { artifactName, deviceConfigFile, deviceIdentityFile, inventoryFile, LAN_KEYS_DIR, nodeLanKeysDir, type InventoryDevice } from './layout.ts'
import { readInventory } from './read-inventory.ts'

export interface ProvisionedDevice {
  device: InventoryDevice
  board: Board
  artifactDir: string
  configFile: string
  identityFile: string
  // The device's own unit or init script (its memory budget may differ from its board's).
  serviceFile: string
  // The node config as provision wrote it (config.json of the artifact format).
  config: Buffer
  dataDir: string
  // The node's copies of its Lua agents' keys (NAME.key, mode 0600), which go into its
  // data folder's lan-keys/; null when no agent of the fleet names it.
  lanKeysDir: string | null
}

// `suits` refuses a device its install path cannot take (a board it does not write for),
// before any of the device's files is looked at.
export function loadProvisionedDevice (outDir: string, name: string, suits: (board: Board) => void = () => {}): ProvisionedDevice {
  const inventory = readInventory(inventoryFile(outDir))
  const device = inventory.devices.find((d) => d.name === name)
  if (device === undefined) throw ProvisionError.UNKNOWN_DEVICE(name, inventoryFile(outDir), inventory.devices.map((d) => d.name))
  const board = loadBoard(device.board)
  suits(board)
  if (device.publicKey === null) throw ProvisionError.NO_NODE(name, board.id)

  const artifact = path.join(outDir, device.artifact ?? artifactName(board.id))
  if (!fs.existsSync(path.join(artifact, 'manifest.json'))) {
    throw ProvisionError.DEVICE_FILE_MISSING(name, `artifact (${path.join(artifact, 'manifest.json')})`)
  }
  const configFile = deviceConfigFile(outDir, name)
  const identityFile = deviceIdentityFile(outDir, name)
  const service = path.join(outDir, device.device, serviceFile(board, '').name)
  for (const file of [configFile, identityFile, service]) {
    if (!fs.existsSync(file)) throw ProvisionError.DEVICE_FILE_MISSING(name, file)
  }
  // Refuses a secret readable by others, or a damaged one, with the node's own checks.
  const keyPair = loadIdentity(identityFile)
  if (encodeKey(keyPair.publicKey) !== device.publicKey) throw ProvisionError.IDENTITY_MISMATCH(name, identityFile)
  const config = readConfig(configFile)
  const lanKeys = nodeLanKeysDir(outDir, name)
  for (const file of config.keyFiles) {
    if (!fs.existsSync(path.join(outDir, device.device, file))) throw ProvisionError.DEVICE_FILE_MISSING(name, path.join(outDir, device.device, file))
  }
  return {
    device, board, artifactDir: artifact, configFile, identityFile, serviceFile: service, config: config.text, dataDir: config.dataDir,
    lanKeysDir: config.keyFiles.length > 0 ? lanKeys : null
  }
}

// `keyFiles`: the agents' key files the config names inside the data folder, which the
// device's folder holds (lan-keys/NAME.key).
function readConfig (file: string): { text: Buffer, dataDir: string, keyFiles: string[] } {
  const text = fs.readFileSync(file)
  let config: unknown
  try {
    config = JSON.parse(text.toString('utf8'))
  } catch {
    throw ProvisionError.FILE_CORRUPT(file, 'not JSON')
  }
  // The node's own check: a config the node would refuse is refused before it goes anywhere.
  const checked = checkNodeConfig(config)
  const keyFiles = (checked.lanIngest?.devices ?? []).flatMap((d) => d.keyFile !== null && d.keyFile.startsWith(`${LAN_KEYS_DIR}/`) ? [d.keyFile] : [])
  return { text, dataDir: checked.dataDir, keyFiles }
}
