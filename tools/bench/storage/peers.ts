// The processes of the storage section, all on one loopback testnet: the home node (the
// Bare artifact with the storage role) and the plain corestore peers (plain-core-peer.ts,
// bundled like the node) that write, receive and fetch. Each is tracked from its start,
// so that the section stops whatever is still running when it ends.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { BUNDLE_FILE, REPO_ROOT, type Runtime } from '../../../targets/bundle.ts'
import type { Board } from '../../config/boards.ts'
import { launchNode } from '../../harness/local-node.ts'
import { watchNode, type NodeProcess } from '../../harness/node-process.ts'

export const PEER_ENTRY = path.join(REPO_ROOT, 'tools', 'bench', 'storage', 'plain-core-peer.ts')
export const BLOCK_BYTES = 64 * 1024
// How long a write, a replication or a fetch may take.
export const TRANSFER_TIMEOUT_MS = 600_000
// A storage node idles this long before its memory is read (twice as long once restarted).
export const IDLE_MS = 5000

// What every part of the section shares.
export interface StorageBench {
  work: string
  board: Board
  artifactDir: string
  // The Bare binary of the artifact, which runs the plain peers too.
  bare: string
  // The plain peer bundled for each runtime.
  bundles: Record<Runtime, string>
  bootstrap: string
  running: Set<NodeProcess>
}

// A plain corestore peer (plain-core-peer.ts: write DIR … or read DIR …) on `runtime`.
export function startPeer (bench: StorageBench, runtime: Runtime, args: string[]): NodeProcess {
  const command = runtime === 'bare' ? bench.bare : process.execPath
  const proc = watchNode(spawn(command, [path.join(bench.bundles[runtime], BUNDLE_FILE), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }))
  track(bench, proc)
  return proc
}

// With `board`, the node gets that board's config (its storage settings); with
// `cgroupProcs` it starts inside that memory cgroup.
export function startStorageNode (bench: StorageBench, name: string, trustedKeys: string[], opts: { board?: Board, cgroupProcs?: string } = {}): NodeProcess {
  const proc = launchNode({
    artifactDir: bench.artifactDir,
    runtime: 'bare',
    board: opts.board ?? bench.board,
    work: bench.work,
    name,
    config: { bootstrap: [bench.bootstrap], roles: ['storage'], trustedKeys },
    cgroupProcs: opts.cgroupProcs
  })
  track(bench, proc)
  return proc
}

function track (bench: StorageBench, proc: NodeProcess): void {
  bench.running.add(proc)
  proc.child.once('close', () => bench.running.delete(proc))
}

export async function stop (proc: NodeProcess): Promise<void> {
  await proc.stop(5000)
}
