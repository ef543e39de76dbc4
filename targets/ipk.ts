// The OpenWrt package (.ipk) of an artifact, for opkg: a gzip'd tar of debian-binary,
// control.tar.gz and data.tar.gz, as OpenWrt's own ipkg-build writes it. Byte-identical
// for the same inputs, so a provisioning run that changes nothing rewrites nothing.
// (OpenWrt 25.12 moved to apk v3 packages; nothing on Debian 12 or npm writes them, see
// the README.)
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Manifest } from './artifact.ts'
import { byCodeUnit } from './bundle.ts'
import { INSTALL_DIR } from './device-paths.ts'
import { BuildError } from './errors.ts'
import { INIT_FILE, STAGED_IDENTITY, UCI_FILE, uciConfig } from './procd.ts'
import { gzip, tar, type TarEntry } from './tar.ts'
import { fillScript } from './template.ts'

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
  // put in the data folder at the first start (never over another one).
  device?: { name: string, configFile: string, identityFile?: string }
}

export interface IpkResult { file: string, bytes: number, control: Record<string, string> }

// The package's own release: a package built twice from one roost version is the same.
const PACKAGE_RELEASE = 1

export function buildIpk (opts: IpkOptions): IpkResult {
  const { board } = opts
  if (board.init !== 'procd' || board.openwrtArch === null) throw BuildError.NOT_OPENWRT_BOARD(board.id)
  const manifest = readManifest(opts.artifactDir)
  if (manifest.boardId !== board.id) throw BuildError.ARTIFACT_OF_ANOTHER_BOARD(opts.artifactDir, manifest.boardId, board.id)

  const data = tar(withFolders(dataFiles(opts, manifest)))
  const control: Record<string, string> = {
    Package: 'roost',
    Version: opkgVersion(manifest.version),
    Depends: ['libc', ...manifest.libraries.map((lib) => lib.openwrt)].join(', '),
    Source: 'roost',
    License: 'Apache-2.0',
    Section: 'net',
    Architecture: board.openwrtArch,
    // As ipkg-build counts it: the bytes of the unpacked data archive.
    'Installed-Size': String(data.length),
    Maintainer: 'roost developers',
    Description: `roost home peer for ${board.name}` + (opts.device ? ` (device ${opts.device.name})` : '')
  }
  const controlTar = tar(withFolders([
    { path: './conffiles', mode: 0o644, data: Buffer.from(`${UCI_FILE}\n`) },
    { path: './control', mode: 0o644, data: Buffer.from(Object.entries(control).map(([key, value]) => `${key}: ${value}\n`).join('')) },
    { path: './postinst', mode: 0o755, data: Buffer.from(fillScript('postinst', { DATA_DIR: dataDir(opts), INSTALL_DIR, RUNTIME_INSTALL: manifest.runtime.install ?? '' })) },
    { path: './prerm', mode: 0o755, data: Buffer.from(fillScript('prerm', {})) }
  ]))
  // The order OpenWrt's ipkg-build writes.
  const ipk = gzip(tar([
    { path: './debian-binary', mode: 0o644, data: Buffer.from('2.0\n') },
    { path: './data.tar.gz', mode: 0o644, data: gzip(data) },
    { path: './control.tar.gz', mode: 0o644, data: gzip(controlTar) }
  ]))
  const file = path.resolve(opts.outFile)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const partial = `${file}.partial-${process.pid}`
  fs.writeFileSync(partial, ipk)
  fs.renameSync(partial, file)
  return { file, bytes: ipk.length, control }
}

// opkg compares versions as dpkg does: a semver pre-release ("1.0.0-rc.1") must sort
// before its release, which '~' does and '-' would not.
export function opkgVersion (version: string): string {
  return `${version.replace('-', '~')}-${PACKAGE_RELEASE}`
}

export function ipkFileName (version: string, openwrtArch: string): string {
  return `roost_${opkgVersion(version)}_${openwrtArch}.ipk`
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

// Every file with the folders above it, each once, in code-unit order (a folder sorts
// before what it holds).
function withFolders (files: TarEntry[]): TarEntry[] {
  const folders = new Map<string, TarEntry>([['./', { path: './', mode: 0o755 }]])
  for (const file of files) {
    const parts = file.path.split('/')
    for (let i = 2; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/') + '/'
      folders.set(folder, { path: folder, mode: 0o755 })
    }
  }
  return [...folders.values(), ...files].sort((a, b) => byCodeUnit(a.path, b.path))
}
