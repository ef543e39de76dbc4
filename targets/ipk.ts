// The OpenWrt package (.ipk) of a node artifact, for opkg: the artifact under /opt/roost,
// the procd script and the UCI config (targets/ipk-container.ts writes the container).
// Byte-identical for the same inputs, so a provisioning run that changes nothing
// rewrites nothing.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Manifest } from './artifact.ts'
import { INSTALL_DIR } from './device-paths.ts'
import { BuildError } from './errors.ts'
import { ipkBytes, opkgVersion, packageFileName, writeIpk } from './ipk-container.ts'
import { INIT_FILE, STAGED_IDENTITY, UCI_FILE, uciConfig } from './procd.ts'
import { type TarEntry } from './tar.ts'
import { fillScript } from './template.ts'

export { opkgVersion } from './ipk-container.ts'

export interface IpkBoard {
  id: string
  name: string
  init: 'systemd' | 'procd'
  storagePath: string
  openwrtArch: string | null
}

export interface IpkOptions {
  // A roost artifact of this board (roost build, or DIR/artifacts/<board> of provision).
  artifactDir: string
  board: IpkBoard
  outFile: string
  // A per-device package: its config.json replaces the artifact's, and its identity is
  // put in the data folder at the first start (never over another one). `lanKeysDir`:
  // the keys of its Lua agents (NAME.key), which go into the data folder's lan-keys/.
  device?: { name: string, configFile: string, identityFile?: string, lanKeysDir?: string }
}

export interface IpkResult { file: string, bytes: number, control: Record<string, string> }

export function buildIpk (opts: IpkOptions): IpkResult {
  const { board } = opts
  if (board.init !== 'procd' || board.openwrtArch === null) throw BuildError.NOT_OPENWRT_BOARD(board.id)
  const manifest = readManifest(opts.artifactDir)
  if (manifest.boardId !== board.id) throw BuildError.ARTIFACT_OF_ANOTHER_BOARD(opts.artifactDir, manifest.boardId, board.id)

  const { ipk, control } = ipkBytes({
    control: {
      Package: 'roost',
      Version: opkgVersion(manifest.version),
      Depends: ['libc', ...manifest.libraries.map((lib) => lib.openwrt)].join(', '),
      Source: 'roost',
      License: 'Apache-2.0',
      Section: 'net',
      Architecture: board.openwrtArch,
      Maintainer: 'roost developers',
      Description: `roost home peer for ${board.name}` + (opts.device ? ` (device ${opts.device.name})` : '')
    },
    conffiles: [UCI_FILE],
    postinst: fillScript('postinst', { DATA_DIR: dataDir(opts), INSTALL_DIR, RUNTIME_INSTALL: manifest.runtime.install ?? '' }),
    prerm: fillScript('prerm', {}),
    data: dataFiles(opts, manifest)
  })
  return { file: writeIpk(opts.outFile, ipk), bytes: ipk.length, control }
}

export function ipkFileName (version: string, openwrtArch: string): string {
  return packageFileName('roost', version, openwrtArch)
}

function readManifest (artifactDir: string): Manifest {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(artifactDir, 'manifest.json'), 'utf8')) as Manifest
    if (manifest.name === 'roost' && Array.isArray(manifest.files)) return manifest
  } catch {}
  throw BuildError.NOT_AN_ARTIFACT(artifactDir)
}

function dataFiles (opts: IpkOptions, manifest: Manifest): TarEntry[] {
  const { board, device } = opts
  const files: TarEntry[] = manifest.files.map((entry) => {
    const full = path.join(opts.artifactDir, entry.path)
    const data = fs.existsSync(full) ? fs.readFileSync(full) : null
    if (data === null || crypto.createHash('sha256').update(data).digest('hex') !== entry.sha256) {
      throw BuildError.ARTIFACT_DAMAGED(opts.artifactDir, entry.path)
    }
    const mode = (fs.statSync(full).mode & 0o111) !== 0 ? 0o755 : 0o644
    return { path: `.${INSTALL_DIR}/${entry.path}`, mode, data: entry.path === 'config.json' && device ? fs.readFileSync(device.configFile) : data }
  })
  files.push(
    { path: `.${INSTALL_DIR}/manifest.json`, mode: 0o644, data: fs.readFileSync(path.join(opts.artifactDir, 'manifest.json')) },
    { path: `.${INIT_FILE}`, mode: 0o755, data: fs.readFileSync(path.join(opts.artifactDir, 'roost.init')) },
    { path: `.${UCI_FILE}`, mode: 0o644, data: Buffer.from(uciConfig({ name: board.name, storagePath: dataDir(opts) })) }
  )
  if (device?.identityFile !== undefined) files.push({ path: `.${STAGED_IDENTITY}`, mode: 0o600, data: fs.readFileSync(device.identityFile) })
  // The node runs as root on OpenWrt: root-owned keys at mode 0600, in the data folder
  // the init script keeps mode 0700, where the config names them (lan-keys/NAME.key).
  if (device?.lanKeysDir !== undefined) {
    for (const name of fs.readdirSync(device.lanKeysDir).sort()) {
      files.push({ path: `.${dataDir(opts)}/lan-keys/${name}`, mode: 0o600, data: fs.readFileSync(path.join(device.lanKeysDir, name)) })
    }
  }
  return files
}

// The init script passes UCI's data_dir to the node (--storage), so a device's config
// that keeps its data elsewhere than the board's storage path sets it there.
function dataDir ({ board, device }: IpkOptions): string {
  if (device === undefined) return board.storagePath
  try {
    const { dataDir } = JSON.parse(fs.readFileSync(device.configFile, 'utf8')) as { dataDir?: unknown }
    if (typeof dataDir === 'string' && path.posix.isAbsolute(dataDir)) return dataDir
  } catch {}
  return board.storagePath
}
