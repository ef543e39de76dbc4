// roost flash: puts one provisioned device onto a Raspberry Pi OS boot partition so that
// a fresh install installs and starts its node on first boot. Everything is read and
// checked first; then only files whose bytes differ are written, so a second flash of
// the same device writes nothing. The roost/ folder goes first and cmdline.txt last: a
// card pulled out midway boots as plain Raspberry Pi OS.
import fs from 'node:fs'
import path from 'node:path'
import { OS_NAMES, type Board } from '../../config/boards.ts'
import { ProvisionError } from '../errors.ts'
import type { InventoryDevice } from '../layout.ts'
import { parentFolders } from './boot-folder.ts'
import { openBootPartition, type BootFile, type BootPartition } from './boot-partition.ts'
import { metaData, networkConfig, NOCLOUD_CMDLINE, userData } from './cloud-init.ts'
import { addCmdlineEntries } from './cmdline.ts'
import { detectRelease, type OsRelease } from './detect.ts'
import { loadProvisionedDevice, type ProvisionedDevice } from '../device.ts'
import { firstBootScript, readme, ROOST_FOLDER } from './first-boot.ts'
import { FIRSTRUN_CMDLINE, FIRSTRUN_FILE, firstrunScript } from './firstrun.ts'
import { readWifiFile, type Wifi } from './wifi.ts'

export interface FlashOptions {
  // The provisioning folder (roost provision --out).
  outDir: string
  deviceName: string
  // A mounted boot partition's folder, or a FAT image file.
  bootPath: string
  wifiFile?: string
  // Skips detection.
  os?: OsRelease
}

export interface FlashResult {
  device: InventoryDevice
  board: Board
  boot: { where: string, kind: BootPartition['kind'] }
  release: OsRelease
  // What told the release apart; null when --os said it.
  detectedBy: string | null
  artifact: { files: number, bytes: number }
  wifi: { ssid: string, country: string } | null
  // Partition paths, '/'-separated.
  written: string[]
  removed: string[]
  unchanged: number
}

interface Wanted { path: string, data: Buffer }

export function flash (opts: FlashOptions): FlashResult {
  const wifi = opts.wifiFile === undefined ? null : readWifiFile(opts.wifiFile)
  const dev = loadProvisionedDevice(opts.outDir, opts.deviceName, (board) => {
    if (board.os !== 'raspberry-pi-os') throw ProvisionError.NOT_RASPBERRY_PI(opts.deviceName, board.id, OS_NAMES[board.os])
  })
  const boot = openBootPartition(opts.bootPath)
  try {
    const { release, because } = opts.os === undefined ? detectRelease(boot) : { release: opts.os, because: null }
    const artifact = artifactFiles(dev.artifactDir)

    const folder = planFolder(boot, [...artifact, ...roostFiles(dev, release, wifi !== null)])
    const hooks = (release === 'trixie' ? cloudInitFiles(boot, dev, wifi) : [{ path: FIRSTRUN_FILE, data: firstrunScript(boot.readFile(FIRSTRUN_FILE), dev.device.name, wifi) }])
      .filter((file) => !sameBytes(boot.readFile(file.path), file.data))
    const cmdline = addCmdlineEntries('cmdline.txt', boot.readFile('cmdline.txt') ?? Buffer.alloc(0), release === 'trixie' ? NOCLOUD_CMDLINE : FIRSTRUN_CMDLINE)
    const last = cmdline === null ? [] : [{ path: 'cmdline.txt', data: cmdline }]

    checkSpace(boot, folder, [...hooks, ...last])
    if (folder.write.length > 0) boot.write(folder.write)
    boot.remove(folder.remove)
    if (hooks.length > 0) boot.write(hooks)
    if (last.length > 0) boot.write(last)

    return {
      device: dev.device,
      board: dev.board,
      boot: { where: boot.where, kind: boot.kind },
      release,
      detectedBy: because,
      artifact: { files: artifact.length, bytes: artifact.reduce((sum, f) => sum + f.data.length, 0) },
      wifi: wifi === null ? null : { ssid: wifi.ssid, country: wifi.country },
      written: [...folder.write, ...hooks, ...last].map((f) => f.path),
      removed: folder.remove,
      unchanged: folder.unchanged
    }
  } finally {
    boot.close()
  }
}

function artifactFiles (dir: string): Wanted[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()
    .filter((rel) => fs.statSync(path.join(dir, rel)).isFile())
    .map((rel) => ({ path: `${ROOST_FOLDER}/artifact/${rel.split(path.sep).join('/')}`, data: fs.readFileSync(path.join(dir, rel)) }))
}

function roostFiles (dev: ProvisionedDevice, release: OsRelease, wifi: boolean): Wanted[] {
  const about = { name: dev.device.name, boardId: dev.board.id, publicKey: dev.device.publicKey ?? '', dataDir: dev.dataDir, lanKeys: dev.lanKeysDir !== null }
  const lanKeys = dev.lanKeysDir === null
    ? []
    : fs.readdirSync(dev.lanKeysDir).sort().map((name) => ({ path: `${ROOST_FOLDER}/lan-keys/${name}`, data: fs.readFileSync(path.join(dev.lanKeysDir!, name)) }))
  return [
    { path: `${ROOST_FOLDER}/config.json`, data: dev.config },
    { path: `${ROOST_FOLDER}/identity.json`, data: fs.readFileSync(dev.identityFile) },
    ...lanKeys,
    { path: `${ROOST_FOLDER}/roost.service`, data: fs.readFileSync(dev.serviceFile) },
    { path: `${ROOST_FOLDER}/first-boot.sh`, data: Buffer.from(firstBootScript(about)) },
    { path: `${ROOST_FOLDER}/README.txt`, data: Buffer.from(readme(about, release, wifi)) }
  ]
}

function cloudInitFiles (boot: BootPartition, dev: ProvisionedDevice, wifi: Wifi | null): Wanted[] {
  const files: Array<{ path: string, data: Buffer | null }> = [
    { path: 'user-data', data: userData(boot.readFile('user-data'), dev.device.name) },
    { path: 'meta-data', data: boot.readFile('meta-data') === null ? metaData(dev.device.name) : null },
    { path: 'network-config', data: wifi === null ? null : networkConfig(boot.readFile('network-config'), wifi) }
  ]
  return files.filter((file): file is Wanted => file.data !== null)
}

interface FolderPlan { write: Wanted[], remove: string[], unchanged: number, existing: Map<string, BootFile> }

// roost/ as it should be: changed and new files written, files of an earlier artifact
// that this one no longer has removed.
function planFolder (boot: BootPartition, wanted: Wanted[]): FolderPlan {
  const existing = new Map([...boot.listFiles(ROOST_FOLDER)].map(([rel, file]) => [`${ROOST_FOLDER}/${rel}`, file]))
  const write = wanted.filter((file) => {
    const now = existing.get(file.path)
    return now === undefined || now.size !== file.data.length || !now.read().equals(file.data)
  })
  const keep = new Set(wanted.map((file) => file.path))
  const remove = [...existing.keys()].filter((name) => !keep.has(name))
  return { write, remove, unchanged: wanted.length - write.length, existing }
}

// In whole clusters, as FAT allocates: each new file, each new folder's entries (a
// long name takes one 32-byte entry per 13 characters, plus its short entry), less
// what the files replaced or removed give back.
function checkSpace (boot: BootPartition, folder: FolderPlan, others: Wanted[]): void {
  const { freeBytes, clusterBytes } = boot.space()
  const clusters = (bytes: number): number => Math.ceil(bytes / clusterBytes) * clusterBytes
  const oldSize = (name: string): number => folder.existing.get(name)?.size ?? boot.readFile(name)?.length ?? 0
  const writes = [...folder.write, ...others]
  let needed = writes.reduce((sum, f) => sum + clusters(f.data.length) - clusters(oldSize(f.path)), 0)
  needed -= folder.remove.reduce((sum, name) => sum + clusters(oldSize(name)), 0)

  const knownFolders = new Set([...folder.existing.keys()].flatMap(parentFolders))
  const children = new Map<string, Set<string>>()
  for (const f of folder.write) {
    const names = f.path.split('/')
    names.forEach((name, i) => {
      const parent = names.slice(0, i).join('/')
      if (i > 0 && !knownFolders.has(parent)) children.set(parent, (children.get(parent) ?? new Set()).add(name))
    })
  }
  // Each folder also holds `.` and `..`.
  for (const names of children.values()) {
    needed += clusters((2 + [...names].reduce((n, name) => n + 1 + Math.ceil(name.length / 13), 0)) * 32)
  }
  if (needed > freeBytes) throw ProvisionError.NO_SPACE(boot.where, freeBytes, needed)
}

function sameBytes (a: Buffer | null, b: Buffer): boolean {
  return a !== null && a.equals(b)
}
