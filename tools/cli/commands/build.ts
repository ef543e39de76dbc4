import path from 'node:path'
import { buildArtifact, type ArtifactResult } from '../../../targets/artifact.ts'
import { REPO_ROOT, type Runtime } from '../../../targets/bundle.ts'
import { buildAgentArtifact, type AgentArtifactResult } from '../../../targets/lua/artifact.ts'
import { loadBoard, type Board } from '../../config/boards.ts'
import { loadNodeConfig } from '../../config/node-config.ts'
import { defineCommand, usageError } from '../args.ts'

export const build = defineCommand({
  name: 'build',
  summary: 'Compile the node (or a router\'s Lua agent) for a board into an artifact folder.',
  details: 'The artifact holds the bundle, the addons for the board\'s host, the runtime (where the\n' +
    'registry has it), the service file, the config (the board\'s default or --config) and manifest.json.\n' +
    'A board with runtime lua-agent (MIPS, 32-bit ARM) gets the Lua agent instead: the Lua file, its\n' +
    'procd script and UCI template, INSTALL.md, the .ipk and manifest.json.',
  usage: 'roost build --board ID [--config FILE] [--runtime bare|node] [--out DIR] [--tls]',
  flags: {
    board: { type: 'string', value: 'ID', help: 'board id (see `roost boards`)' },
    runtime: { type: 'string', value: 'bare|node', help: 'runtime the artifact is for (default: bare)' },
    out: { type: 'string', value: 'DIR', help: 'artifact folder (default: dist/<board>, or dist/<board>-node)' },
    config: { type: 'string', value: 'FILE', help: 'node config YAML, validated before anything is written (default: the board\'s defaults)' },
    tls: { type: 'boolean', help: 'carry TLS (bare-tls, 2.2 MiB on arm64) for an mqtts:// broker even if the config names none (default: only when it does)' }
  }
}, async (flags) => {
  if (!flags.board) throw usageError('build', 'missing --board ID (see `roost boards`)')
  const board = loadBoard(flags.board)
  // A Lua agent board without --runtime gets its agent; with one, buildArtifact says why
  // no node can be built for it.
  if (board.program === 'lua-agent' && flags.runtime === undefined) {
    if (flags.config !== undefined) throw usageError('build', `--config is a node config; the Lua agent on ${board.id} reads /etc/config/roost-agent (see its INSTALL.md)`)
    if (flags.tls === true) throw usageError('build', `--tls is for a node's artifact; the Lua agent on ${board.id} speaks plain MQTT to the router's broker`)
    const started = performance.now()
    const result = await buildAgentArtifact({ board, outDir: path.resolve(flags.out ?? path.join(REPO_ROOT, 'dist', board.id)) })
    process.stdout.write(agentSummary(result, performance.now() - started))
    return 0
  }
  const runtime = runtimeFlag('build', flags.runtime)
  const outDir = path.resolve(flags.out ?? defaultOutDir(board, runtime))
  // Checked before the build starts: a bad config leaves the artifact folder as it was.
  const config = flags.config === undefined ? undefined : loadNodeConfig(flags.config, board)
  const started = performance.now()
  const result = await buildArtifact({ board, runtime, outDir, config, tls: flags.tls === true ? true : undefined })
  process.stdout.write(summary(result, performance.now() - started, flags.config))
  return 0
})

export function runtimeFlag (command: string, value: string | undefined): Runtime {
  const runtime = value ?? 'bare'
  if (runtime !== 'bare' && runtime !== 'node') throw usageError(command, `--runtime must be bare or node, got "${runtime}"`)
  return runtime
}

function defaultOutDir (board: Board, runtime: Runtime): string {
  return path.join(REPO_ROOT, 'dist', runtime === 'bare' ? board.id : `${board.id}-node`)
}

function summary ({ outDir, manifest }: ArtifactResult, ms: number, configFile: string | undefined): string {
  const total = manifest.files.reduce((sum, f) => sum + f.size, 0)
  const linked = manifest.runtime.staticAddons ?? []
  const runtime = manifest.runtime.included
    ? `${manifest.runtime.name} ${manifest.runtime.version} (included${linked.length > 0 ? `, with ${linked.join(', ')} linked in` : ''})`
    : `${manifest.runtime.name} ${manifest.runtime.version} (install on the device: see INSTALL.md)`
  return [
    `built ${manifest.boardId} (${manifest.host}) in ${(ms / 1000).toFixed(1)} s → ${displayPath(outDir)}`,
    `  bundle   ${manifest.bundle.file}  ${kib(manifest.bundle.bytes)}`,
    `  addons   ${manifest.addons.map((a) => `${a.name}@${a.version}`).join(', ')}`,
    `  runtime  ${runtime}`,
    `  tls      ${manifest.tls ? 'yes' : 'no: the config names no mqtts:// broker (--tls carries it anyway)'}`,
    ...(configFile === undefined ? [] : [`  config   ${configFile} (validated)`]),
    `  total    ${manifest.files.length} files, ${kib(total)}`,
    ''
  ].join('\n')
}

function agentSummary ({ outDir, manifest }: AgentArtifactResult, ms: number): string {
  const total = manifest.files.reduce((sum, f) => sum + f.size, 0)
  return [
    `built the Lua agent for ${manifest.boardId} (${manifest.host}) in ${(ms / 1000).toFixed(1)} s → ${displayPath(outDir)}`,
    `  agent    ${manifest.bundle.file}  ${kib(manifest.bundle.bytes)}`,
    `  package  ${manifest.package.file}  ${kib(manifest.package.bytes)}`,
    `  runtime  Lua 5.3 and LuaSocket (on the router: ${manifest.runtime.install})`,
    `  total    ${manifest.files.length} files, ${kib(total)}`,
    ''
  ].join('\n')
}

function kib (bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`
}

function displayPath (dir: string): string {
  const rel = path.relative(process.cwd(), dir)
  return rel === '' ? '.' : rel.startsWith('..') ? dir : rel
}
