// `roost build` for a board that runs the Lua agent (MIPS and 32-bit ARM routers): the
// agent, its procd script and UCI template, INSTALL.md, the .ipk of them all and
// manifest.json, in one folder, byte-identical for the same sources.
import fs from 'node:fs'
import path from 'node:path'
import { listFiles, roostVersion, writeArtifactDir, writeFile, type ManifestFile } from '../artifact.ts'
import { BuildError } from '../errors.ts'
import { buildAgentLua } from './build.ts'
import { agentInstallNotes } from './install-notes.ts'
import { AGENT_DEPENDS, agentIpk, agentPackageFileName } from './ipk.ts'
import { AGENT_INIT_FILE, AGENT_LUA_FILE, AGENT_UCI_FILE, agentInitScript, agentUciTemplate, type AgentBoard } from './procd.ts'

export { AGENT_INIT_FILE, AGENT_LUA_FILE, AGENT_UCI_FILE }

export interface AgentArtifactBoard {
  id: string
  name: string
  host: string
  program: 'bare' | 'lua-agent'
  storagePath: string
  openwrtArch: string | null
}

export interface AgentManifest {
  name: 'roost-agent'
  version: string
  boardId: string
  host: string
  openwrtArch: string
  runtime: { name: 'lua', version: '5.3', included: false, install: string }
  bundle: { file: string, bytes: number }
  package: { file: string, bytes: number, depends: string[] }
  files: ManifestFile[]
}

export interface AgentArtifactResult { outDir: string, manifest: AgentManifest }

export async function buildAgentArtifact (opts: { board: AgentArtifactBoard, outDir: string }): Promise<AgentArtifactResult> {
  const { board } = opts
  if (board.program !== 'lua-agent' || board.openwrtArch === null) throw BuildError.NOT_AN_AGENT_BOARD(board.id)
  const agentBoard: AgentBoard = { id: board.id, name: board.name, host: board.host, storagePath: board.storagePath, openwrtArch: board.openwrtArch }
  const { outDir, result: manifest } = await writeArtifactDir(opts.outDir, async (dir) => writeAgentArtifact(agentBoard, dir))
  return { outDir, manifest }
}

function writeAgentArtifact (board: AgentBoard, dir: string): AgentManifest {
  const version = roostVersion()
  const lua = buildAgentLua(path.join(dir, AGENT_LUA_FILE))
  fs.chmodSync(lua.file, 0o755)
  writeFile(dir, AGENT_INIT_FILE, agentInitScript(board), 0o755)
  writeFile(dir, AGENT_UCI_FILE, agentUciTemplate(board), 0o644)
  const packageFile = agentPackageFileName(version, board.openwrtArch)
  const { ipk } = agentIpk(board, version, {
    lua: fs.readFileSync(lua.file),
    init: fs.readFileSync(path.join(dir, AGENT_INIT_FILE)),
    uci: fs.readFileSync(path.join(dir, AGENT_UCI_FILE))
  })
  writeFile(dir, packageFile, ipk, 0o644)
  writeFile(dir, 'INSTALL.md', agentInstallNotes(board, packageFile), 0o644)
  const manifest: AgentManifest = {
    name: 'roost-agent',
    version,
    boardId: board.id,
    host: board.host,
    openwrtArch: board.openwrtArch,
    runtime: { name: 'lua', version: '5.3', included: false, install: `opkg update && opkg install ${AGENT_DEPENDS.join(' ')}` },
    bundle: { file: AGENT_LUA_FILE, bytes: lua.bytes },
    package: { file: packageFile, bytes: ipk.length, depends: AGENT_DEPENDS },
    files: listFiles(dir)
  }
  writeFile(dir, 'manifest.json', JSON.stringify(manifest, null, 2) + '\n', 0o644)
  return manifest
}
