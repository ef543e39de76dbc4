// Builds the node for the machine the CLI runs on and starts it: used by `run`,
// `demo`, `bench` and the end-to-end tests, so they all exercise the real artifact.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { NodeConfigFile } from '../../node/config/types.ts'
import { buildArtifact, type ArtifactResult } from '../../targets/artifact.ts'
import { BUNDLE_FILE, type Runtime } from '../../targets/bundle.ts'
import { HarnessError } from './errors.ts'
import { loadBoard, type Board } from '../config/boards.ts'

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
  const result = await buildArtifact({ board, runtime, outDir })
  if (runtime === 'bare' && !result.manifest.runtime.included) {
    throw HarnessError.NO_LOCAL_BARE(board.host)
  }
  return result
}

export function nodeCommand (artifactDir: string, runtime: Runtime, configFile: string): { command: string, args: string[] } {
  const bundle = path.join(artifactDir, BUNDLE_FILE)
  const command = runtime === 'bare' ? path.join(artifactDir, 'bin', 'bare') : process.execPath
  return { command, args: [bundle, '--config', configFile] }
}

export function writeConfig (file: string, config: NodeConfigFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + '\n')
}

// `cgroupProcs`: the cgroup.procs file of a cgroup the node is to start in (a memory
// limit as the board's systemd unit sets one), joined before the runtime starts, so
// that V8 sizes its heap to that limit as it would on the device.
export function startNode (artifactDir: string, runtime: Runtime, configFile: string, stdio: 'inherit' | 'pipe', opts: { cgroupProcs?: string } = {}): ChildProcess {
  const { command, args } = nodeCommand(artifactDir, runtime, configFile)
  let guarded = dieWithParent(command, args)
  if (opts.cgroupProcs) {
    guarded = { command: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', opts.cgroupProcs, guarded.command, ...guarded.args] }
  }
  return spawn(guarded.command, guarded.args, { stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'] })
}

// A node started by roost (run, demo, bench, tests) goes when the process that started
// it goes, even by SIGKILL or a test runner's timeout, which run no cleanup: the kernel
// sends it SIGKILL (PR_SET_PDEATHSIG through util-linux's setpriv, which then execs the
// node, so its pid, signals and exit code are the node's own).
function dieWithParent (command: string, args: string[]): { command: string, args: string[] } {
  if (process.platform !== 'linux' || SETPRIV === null) return { command, args }
  return { command: SETPRIV, args: ['--pdeathsig', 'KILL', '--', command, ...args] }
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p)) ?? null
