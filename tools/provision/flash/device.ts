// One device of a provisioning folder, as flash needs it: its board (a Raspberry Pi),
// the board's artifact, its config and its identity, each checked before anything is
// written to the card.
import fs from 'node:fs'
import path from 'node:path'
import { checkNodeConfig } from '../../../node/config/check.ts'
import { loadIdentity } from '../../../node/identity/identity.ts'
import { encodeKey } from '../../../node/identity/keys.ts'
import { loadBoard, OS_NAMES, type Board } from '../../config/boards.ts'
import { ProvisionError } from '../errors.ts'
import { artifactName, deviceConfigFile, deviceIdentityFile, inventoryFile, type InventoryDevice } from '../layout.ts'
import { readInventory } from '../read-inventory.ts'

export interface FlashDevice {
  device: InventoryDevice
  board: Board
  artifactDir: string
  // The node config as provision wrote it (config.json of the artifact format).
  config: Buffer
  dataDir: string
  identity: Buffer
  // The device's own unit (its memory budget may differ from its board's).
  unit: Buffer
}

export function loadFlashDevice (outDir: string, name: string): FlashDevice {
  const inventory = readInventory(inventoryFile(outDir))
  const device = inventory.devices.find((d) => d.name === name)
  if (device === undefined) throw ProvisionError.UNKNOWN_DEVICE(name, inventoryFile(outDir), inventory.devices.map((d) => d.name))
  const board = loadBoard(device.board)
  if (board.os !== 'raspberry-pi-os') throw ProvisionError.NOT_RASPBERRY_PI(name, board.id, OS_NAMES[board.os])

  const artifact = path.join(outDir, device.artifact ?? artifactName(board.id))
  if (!fs.existsSync(path.join(artifact, 'manifest.json'))) {
    throw ProvisionError.DEVICE_FILE_MISSING(name, `artifact (${path.join(artifact, 'manifest.json')})`)
  }
  const configFile = deviceConfigFile(outDir, name)
  const identityFile = deviceIdentityFile(outDir, name)
  for (const file of [configFile, identityFile]) {
    if (!fs.existsSync(file)) throw ProvisionError.DEVICE_FILE_MISSING(name, file)
  }
  // Refuses a secret readable by others, or a damaged one, with the node's own checks.
  const keyPair = loadIdentity(identityFile)
  if (encodeKey(keyPair.publicKey) !== device.publicKey) throw ProvisionError.IDENTITY_MISMATCH(name, identityFile)
  const config = readConfig(configFile)
  const unitFile = path.join(outDir, device.device, 'roost.service')
  if (!fs.existsSync(unitFile)) throw ProvisionError.DEVICE_FILE_MISSING(name, unitFile)
  return { device, board, artifactDir: artifact, config: config.text, dataDir: config.dataDir, identity: fs.readFileSync(identityFile), unit: fs.readFileSync(unitFile) }
}

function readConfig (file: string): { text: Buffer, dataDir: string } {
  const text = fs.readFileSync(file)
  let config: unknown
  try {
    config = JSON.parse(text.toString('utf8'))
  } catch {
    throw ProvisionError.FILE_CORRUPT(file, 'not JSON')
  }
  // The node's own check: a config the node would refuse is refused before the card is written.
  return { text, dataDir: checkNodeConfig(config).dataDir }
}
