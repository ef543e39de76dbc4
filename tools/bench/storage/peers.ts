// The processes of the storage section, all on one loopback testnet: the home node (the
// Bare artifact with the storage role) and the plain corestore peers (plain-core-peer.ts,
// bundled like the node) that write, receive and fetch. Each is tracked from its start,
// so that the section stops whatever is still running when it ends.
import { spawn } from 'node:child_process'
import path from 'node:path'
import { BUNDLE_FILE, REPO_ROOT, type Runtime } from '../../../targets/bundle.ts'
import type { Board } from '../../config/boards.ts'
import { HarnessError } from '../../harness/errors.ts'
import { dieWithParent, launchNode } from '../../harness/local-node.ts'
import { watchNode, type NodeEvent, type NodeProcess } from '../../harness/node-process.ts'
import { sleep } from '../../harness/wait.ts'

export const PEER_ENTRY = path.join(REPO_ROOT, 'tools', 'bench', 'storage', 'plain-core-peer.ts')
export const BLOCK_BYTES = 64 * 1024
// How long a write, a replication or a fetch may take, and how long it may go without
// a block moving (the plain peers print their progress every second).
export const TRANSFER_TIMEOUT_MS = 600_000
export const STALL_MS = 30_000
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
  // Gone with the bench, even when it is killed.
  const { command, args: argv } = dieWithParent(runtime === 'bare' ? bench.bare : process.execPath, [path.join(bench.bundles[runtime], BUNDLE_FILE), ...args])
  // e.g. "plain peer read fetch-node"
  const proc = watchNode(spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] }), `plain peer ${args[0]} ${path.basename(args[1])}`)
  track(bench, proc)
  return proc
}

// With `board`, the node gets that board's config (its storage settings).
export function startStorageNode (bench: StorageBench, name: string, trustedKeys: string[], opts: { board?: Board } = {}): NodeProcess {
  const proc = launchNode({
    artifactDir: bench.artifactDir,
    runtime: 'bare',
    board: opts.board ?? bench.board,
    work: bench.work,
    name,
    config: { bootstrap: [bench.bootstrap], roles: ['storage'], trustedKeys }
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

// Waits for `event` from a plain peer that is moving blocks; fails once its progress lines
// show no block moved for STALL_MS, or after TRANSFER_TIMEOUT_MS, with what it and
// `others` (the other end) last logged.
export async function waitTransfer (proc: NodeProcess, event: string, others: NodeProcess[] = []): Promise<NodeEvent> {
  const started = Date.now()
  const logs = (): string => [proc, ...others].map((p) => `${p.name}: ${p.lastLines(5).join(' | ')}`).join('; ')
  let moved = -1
  let movedAt = started
  for (;;) {
    const found = proc.events.find((e) => e.event === event)
    if (found) return found
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw HarnessError.EXITED(proc.name, `"${event}"`, logs())
    const now = Date.now()
    const last = [...proc.events].reverse().find((e) => e.event === 'progress')
    const count = last ? Number(last.downloaded ?? 0) + Number(last.uploaded ?? 0) + Number(last.held ?? 0) : 0
    if (count !== moved) {
      moved = count
      movedAt = now
    }
    if (now - movedAt > STALL_MS) throw HarnessError.STALLED(`"${event}" from ${proc.name}`, STALL_MS, logs())
    if (now - started > TRANSFER_TIMEOUT_MS) throw HarnessError.WAIT_TIMEOUT(`"${event}" from ${proc.name}`, TRANSFER_TIMEOUT_MS, logs())
    await sleep(250)
  }
}
