// Writes one artifact: the bundle, that host's addons, the runtime where the registry
// has it, the service file, a default config, install notes and manifest.json.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { NodeConfigFile } from '../node/config/types.ts'
import { bundleNode, BUNDLE_FILE, byCodeUnit, REPO_ROOT, type Runtime } from './bundle.ts'
import { elfMachine, HOST_MACHINE } from './elf.ts'
import { stripElfFile } from './elf-strip.ts'
import { BuildError } from './errors.ts'
import { installNotes } from './install-notes.ts'
import { INSTALL_SCRIPT, installScript } from './install-script.ts'
import { BARE_STATIC_ADDONS } from './prebuilds.ts'
import { INSTALL_DIR, serviceFile, type ServiceBoard } from './service.ts'
import { deviceNeeds, type SharedLibrary } from './shared-libs.ts'

export interface ArtifactBoard extends ServiceBoard {
  host: string
  program: 'bare' | 'lua-agent'
  defaultRoles: string[]
  storageBudgetMb?: number | null
}

export interface ArtifactOptions {
  board: ArtifactBoard
  runtime: Runtime
  outDir: string
  // Replaces the board's default config (provisioning writes per-device ones).
  config?: NodeConfigFile
  // Whether the artifact carries bare-tls, for an mqtts:// broker (2.2 MiB of arm64
  // code, the biggest addon after rocksdb). Default: when the config names one.
  tls?: boolean
}

export interface ManifestFile { path: string, size: number, sha256: string }

export interface Manifest {
  name: 'roost'
  version: string
  boardId: string
  host: string
  // staticAddons: the addons the included runtime has linked in, whose packages carry no
  // prebuild (targets/prebuilds.ts).
  runtime: { name: Runtime, version: string, included: boolean, file?: string, install?: string, staticAddons?: string[] }
  // Whether the node can reach an mqtts:// broker (on Node.js, always: its own tls).
  tls: boolean
  bundle: { file: string, bytes: number }
  addons: Array<{ name: string, version: string, file: string, machine: string }>
  // What the addons and the runtime need from the device beyond the C library, and the
  // oldest glibc they load with (null: they name no glibc version).
  libraries: SharedLibrary[]
  glibc: string | null
  files: ManifestFile[]
}

export interface ArtifactResult { outDir: string, manifest: Manifest }

export const BARE_INSTALL_VERSION = '1.31.0'
export const TLS_ADDON = 'bare-tls'

export function namesTlsBroker (config: NodeConfigFile | undefined): boolean {
  return config?.bridge?.broker.startsWith('mqtts://') === true
}

export async function buildArtifact (opts: ArtifactOptions): Promise<ArtifactResult> {
  const { board } = opts
  if (board.program !== 'bare' || !(board.host in HOST_MACHINE) || !['linux-x64', 'linux-arm64'].includes(board.host)) {
    throw BuildError.NO_BARE_RUNTIME(board.id, board.host)
  }
  const { outDir, result: manifest } = await writeArtifactDir(opts.outDir, (dir) => writeArtifact(opts, dir))
  return { outDir, manifest }
}

// Builds beside `outDir` and swaps it in at the end: a failed build leaves the previous
// artifact as it was, and never a half-written one. --out may name any folder: only an
// earlier roost artifact (a node's or a Lua agent's) or an empty one is replaced.
export async function writeArtifactDir<T> (outDir: string, write: (dir: string) => Promise<T>): Promise<{ outDir: string, result: T }> {
  const finalDir = path.resolve(outDir)
  checkReplaceable(finalDir)
  const partialDir = `${finalDir}.partial-${process.pid}`
  fs.rmSync(partialDir, { recursive: true, force: true })
  fs.mkdirSync(partialDir, { recursive: true })
  try {
    const result = await write(partialDir)
    fs.rmSync(finalDir, { recursive: true, force: true })
    fs.renameSync(partialDir, finalDir)
    return { outDir: finalDir, result }
  } finally {
    fs.rmSync(partialDir, { recursive: true, force: true })
  }
}

function checkReplaceable (dir: string): void {
  if (!fs.existsSync(dir)) return
  if (!fs.statSync(dir).isDirectory()) throw BuildError.OUT_DIR_NOT_ARTIFACT(dir)
  if (fs.readdirSync(dir).length === 0) return
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { name?: unknown }
    if (manifest.name === 'roost' || manifest.name === 'roost-agent') return
  } catch {}
  throw BuildError.OUT_DIR_NOT_ARTIFACT(dir)
}

async function writeArtifact (opts: ArtifactOptions, outDir: string): Promise<Manifest> {
  const { board, runtime } = opts
  const version = roostVersion()

  const bare = runtime === 'bare' ? bareRuntimePackage(board.host) : null
  const staticAddons = bare ? BARE_STATIC_ADDONS[bare.version] ?? [] : []
  const tls = runtime === 'node' || (opts.tls ?? namesTlsBroker(opts.config))
  const bundle = await bundleNode({ runtime, host: board.host, outDir, version, staticAddons, leaveOut: tls ? [] : [TLS_ADDON] })
  const expected = HOST_MACHINE[board.host]
  const addons = bundle.addons.map((addon) => {
    const machine = elfMachine(path.join(outDir, addon.file))
    if (machine !== expected) throw BuildError.WRONG_MACHINE(addon.file, expected, machine)
    stripElfFile(path.join(outDir, addon.file), addon.file)
    return { ...addon, machine }
  })

  const runtimeInfo = runtime === 'node'
    ? nodeRuntimeInfo()
    : bare
      ? { ...copyBareRuntime(bare, outDir, expected), staticAddons: bundle.staticAddons }
      : bareInstallInfo(board.host)
  const runtimeCommand = runtime === 'bare' ? `${INSTALL_DIR}/bin/bare` : '/usr/bin/node'
  const service = serviceFile(board, runtimeCommand)
  writeFile(outDir, service.name, service.text, service.mode)
  writeFile(outDir, 'config.json', JSON.stringify(opts.config ?? defaultConfig(board), null, 2) + '\n', 0o644)
  const { libraries, glibc } = deviceNeeds(outDir, [...addons.map((addon) => addon.file), ...(runtimeInfo.file ? [runtimeInfo.file] : [])])
  writeFile(outDir, 'INSTALL.md', installNotes({ board, runtime, runtimeInfo, serviceName: service.name, libraries }), 0o644)
  if (board.init === 'systemd') {
    const script = installScript({ version, boardId: board.id, host: board.host, unitName: service.name, runtime: runtimeInfo, libraries, glibc, files: listFiles(outDir) })
    writeFile(outDir, INSTALL_SCRIPT, script, 0o755)
  }

  const manifest: Manifest = {
    name: 'roost',
    version,
    boardId: board.id,
    host: board.host,
    runtime: runtimeInfo,
    tls,
    bundle: { file: BUNDLE_FILE, bytes: bundle.bundleBytes },
    addons,
    libraries,
    glibc,
    files: listFiles(outDir)
  }
  writeFile(outDir, 'manifest.json', JSON.stringify(manifest, null, 2) + '\n', 0o644)
  return manifest
}

export function defaultConfig (board: ArtifactBoard): NodeConfigFile {
  return {
    version: 1,
    boardId: board.id,
    dataDir: board.storagePath,
    bootstrap: [],
    host: null,
    roles: board.defaultRoles as NodeConfigFile['roles'],
    trustedKeys: [],
    operatorKey: null,
    peers: [],
    storagePeer: {
      // The board's disk budget for users' cores; one user may use all of it by default.
      ...(board.storageBudgetMb ? { budgetBytes: board.storageBudgetMb * MIB, quotaBytes: board.storageBudgetMb * MIB } : {}),
      // Bigger memtables take cores in faster; only boards with room for them get them
      // (node/storage/corestore.ts has the measured cost).
      ...(board.memoryBudgetMb >= 256 ? { memtableBytes: 16 * MIB } : {})
    }
  }
}

const MIB = 1024 * 1024

export function roostVersion (): string {
  return (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version
}

interface BareRuntimePackage { dir: string, version: string }

// The installed bare-runtime-<host> package, or null where the registry has none.
function bareRuntimePackage (host: string): BareRuntimePackage | null {
  const dir = path.join(REPO_ROOT, 'node_modules', `bare-runtime-${host}`)
  if (!fs.existsSync(path.join(dir, 'bin', 'bare'))) return null
  const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }
  return { dir, version }
}

// The registry here has no Bare binary for this host: the device gets it from npm.
function bareInstallInfo (host: string): Manifest['runtime'] {
  return {
    name: 'bare',
    version: BARE_INSTALL_VERSION,
    included: false,
    install: `npm install --global bare-runtime-${host}@${BARE_INSTALL_VERSION} && ` +
      `install -D "$(npm root --global)/bare-runtime-${host}/bin/bare" ${INSTALL_DIR}/bin/bare`
  }
}

function copyBareRuntime (bare: BareRuntimePackage, outDir: string, machine: string): Manifest['runtime'] {
  const dest = path.join(outDir, 'bin', 'bare')
  fs.mkdirSync(path.dirname(dest), { recursive: true })
  fs.copyFileSync(path.join(bare.dir, 'bin', 'bare'), dest)
  fs.chmodSync(dest, 0o755)
  const found = elfMachine(dest)
  if (found !== machine) throw BuildError.WRONG_MACHINE('bin/bare', machine, found)
  // The binary as published carries 29 MB (of 96) of debug information and symbols that
  // the device never maps.
  stripElfFile(dest, 'bin/bare')
  return { name: 'bare', version: bare.version, included: true, file: 'bin/bare' }
}

function nodeRuntimeInfo (): Manifest['runtime'] {
  return { name: 'node', version: '>=18', included: false, install: 'apt-get install nodejs (Debian 12 ships Node.js 18)' }
}

export function writeFile (outDir: string, name: string, text: string | Buffer, mode: number): void {
  const file = path.join(outDir, name)
  fs.writeFileSync(file, text)
  fs.chmodSync(file, mode)
}

export function listFiles (outDir: string): ManifestFile[] {
  const files: ManifestFile[] = []
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name)
      const rel = path.relative(outDir, full).split(path.sep).join('/')
      if (rel === 'manifest.json') continue
      if (fs.statSync(full).isDirectory()) walk(full)
      else files.push({ path: rel, size: fs.statSync(full).size, sha256: crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex') })
    }
  }
  walk(outDir)
  return files.sort((a, b) => byCodeUnit(a.path, b.path))
}
