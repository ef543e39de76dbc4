// Builds the node for the machine the CLI runs on and starts it: used by `run`,
// `demo`, `bench` and the end-to-end tests, so they all exercise the real artifact.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { buildArtifact, defaultConfig, type ArtifactResult } from '../../targets/artifact.ts'
import { BUNDLE_FILE, type Runtime } from '../../targets/bundle.ts'
import { RUNTIME_FLAGS } from '../../targets/device-paths.ts'
import { loadBoard, type Board } from '../config/boards.ts'
import { HarnessError } from './errors.ts'
import { watchNode, type NodeProcess } from './node-process.ts'

// The board whose host matches this machine, for `roost run` without --board.
const BOARD_FOR_HOST: Record<string, string> = {
  'linux-x64': 'x86-64-mini-pc',
  'linux-arm64': 'raspberry-pi-4b'
}

export function thisMachineBoard (): Board {
  const host = `${process.platform}-${process.arch}`
  const id = BOARD_FOR_HOST[host]
  if (!id) {
    throw HarnessError.UNSUPPORTED_HOST(host)
  }
  return loadBoard(id)
}

export async function buildLocal (board: Board, runtime: Runtime, outDir: string): Promise<ArtifactResult> {
  // The harness runs any config on this one build, mqtts:// brokers too.
  const result = await buildArtifact({ board, runtime, outDir, tls: true })
  if (runtime === 'bare' && !result.manifest.runtime.included) {
    throw HarnessError.NO_LOCAL_BARE(board.host)
  }
  return result
}

export function nodeCommand (artifactDir: string, runtime: Runtime, configFile: string): { command: string, args: string[] } {
  const bundle = path.join(artifactDir, BUNDLE_FILE)
  const command = runtime === 'bare' ? path.join(artifactDir, 'bin', 'bare') : process.execPath
  return { command, args: [...RUNTIME_FLAGS, bundle, '--config', configFile] }
}

export function writeConfig (file: string, config: NodeConfigFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n')
}

// `cgroupProcs`: the cgroup.procs file of a cgroup the node is to start in (a memory
// limit as the board's systemd unit sets one), joined before the runtime starts, so
// that V8 sizes its heap to that limit as it would on the device. `inNamespace`: how a
// command runs in a network namespace (netlab.ts), for a node behind a simulated NAT.
// `env`: variables added to this process's environment for the node (e.g. glibc's
// MALLOC_ARENA_MAX, which a board's service file could set, measured by the bench).
export function startNode (artifactDir: string, runtime: Runtime, configFile: string, stdio: 'inherit' | 'pipe',
  opts: { cgroupProcs?: string, inNamespace?: (command: string, args: string[]) => { command: string, args: string[] }, env?: Record<string, string> } = {}): ChildProcess {
  const plain = nodeCommand(artifactDir, runtime, configFile)
  const { command, args } = opts.inNamespace ? opts.inNamespace(plain.command, plain.args) : plain
  let guarded = dieWithParent(command, args)
  if (opts.cgroupProcs) {
    guarded = { command: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', opts.cgroupProcs, guarded.command, ...guarded.args] }
  }
  return spawn(guarded.command, guarded.args, { stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'], ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) })
}

// A node started by roost (run, demo, bench, tests) goes when the process that started
// it goes, even by SIGKILL or a test runner's timeout, which run no cleanup: the kernel
// sends it SIGKILL (PR_SET_PDEATHSIG through util-linux's setpriv, which then execs the
// node, so its pid, signals and exit code are the node's own).
export function dieWithParent (command: string, args: string[]): { command: string, args: string[] } {
  if (process.platform !== 'linux' || SETPRIV === null) return { command, args }
  return { command: SETPRIV, args: ['--pdeathsig', 'KILL', '--', command, ...args] }
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p)) ?? null

export interface LaunchOptions {
  artifactDir: string
  runtime: Runtime
  board: Board
  // The folder the node's config (NAME.json) and data folder (NAME/) go in.
  work: string
  name: string
  // Over the board's default config, with no roles unless these name some.
  config: Partial<NodeConfigFile>
  // Starts the node inside this memory cgroup (memory-cgroup.ts).
  cgroupProcs?: string
  // Starts the node inside a network namespace (netlab.ts: lab.inNamespace bound to one).
  inNamespace?: (command: string, args: string[]) => { command: string, args: string[] }
  // Added to the node's environment.
  env?: Record<string, string>
}

// Writes the node's config and starts it from its artifact, its log watched: the one
// way the demo, the bench and the tests start a node. The caller stops it.
export function launchNode (opts: LaunchOptions): NodeProcess {
  const configFile = path.join(opts.work, `${opts.name}.json`)
  writeConfig(configFile, { ...defaultConfig(opts.board), dataDir: path.join(opts.work, opts.name), roles: [], ...opts.config })
  return watchNode(startNode(opts.artifactDir, opts.runtime, configFile, 'pipe', { cgroupProcs: opts.cgroupProcs, inNamespace: opts.inNamespace, env: opts.env }), `node ${opts.name}`)
}

// The node's public key once it has logged `ready`; stops it if it does not.
export async function readyKey (node: NodeProcess, timeoutMs = 30_000): Promise<string> {
  try {
    return String((await node.waitFor('ready', timeoutMs)).publicKey)
  } catch (err) {
    await node.stop()
    throw err
  }
}
