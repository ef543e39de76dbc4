// The storage section of `roost bench`, measured side by side in one run over one
// loopback testnet: how fast a writer's encrypted core reaches the home node (the Bare
// artifact, with the Raspberry Pi 4 B's config) next to plain corestore readers on Bare
// taking the same core from the same writer, one opened with the node's storage settings
// for that board and one with corestore's defaults (replication.ts); how long a reader
// takes to fetch 100 MiB from the node and from a plain reader once the writer's process
// has exited; and the home node's memory while and after it keeps 1,000 small cores
// (many-cores.ts). Inside the boards' memory budgets: the budget section (bench/budget/).
// Every process, testnet and folder started here is stopped or removed, whatever happens.
import path from 'node:path'
import { bundleNode, type Runtime } from '../../../targets/bundle.ts'
import { loadBoard } from '../../config/boards.ts'
import { buildLocal } from '../../harness/local-node.ts'
import type { NodeProcess } from '../../harness/node-process.ts'
import { loadavg } from '../measure.ts'
import { checkCounts, closers, progressToStderr, workAndTestnet, type Progress } from '../section.ts'
import { AIMS, type StorageFigures } from './figures.ts'
import { keepManyCores } from './many-cores.ts'
import { BLOCK_BYTES, PEER_ENTRY, type StorageBench } from './peers.ts'
import { replicationRuns } from './replication.ts'

export type { StorageFigures } from './figures.ts'

export interface StorageOptions {
  // Size of the core replicated, in MiB.
  coreMiB: number
  // Small cores the node is asked to keep.
  cores: number
  // Replication runs per receiver.
  runs: number
  // The command line, printed with the figures.
  command: string
  progress?: Progress
}

export async function benchStorage (opts: StorageOptions): Promise<StorageFigures> {
  checkCounts('storage', { coreMiB: opts.coreMiB, cores: opts.cores, runs: opts.runs })
  const progress = opts.progress ?? progressToStderr
  const loadBefore = loadavg()
  const opened = closers()
  try {
    const { work, testnet } = await workAndTestnet(opened, 'storage')
    const running = new Set<NodeProcess>()
    opened.add(async () => { for (const proc of running) await proc.stop(2000) })

    progress(`storage: building the node and the plain peer (${opts.coreMiB} MiB core, ${opts.cores} cores, runs: ${opts.runs})`)
    const board = loadBoard('x86-64-mini-pc')
    const { outDir } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
    const bundles: Record<Runtime, string> = { bare: path.join(work, 'peer-bare'), node: path.join(work, 'peer-node') }
    for (const runtime of ['bare', 'node'] as const) {
      await bundleNode({ runtime, host: board.host, outDir: bundles[runtime], version: 'bench', entry: PEER_ENTRY })
    }
    const bench: StorageBench = { work, board, artifactDir: outDir, bare: path.join(outDir, 'bin', 'bare'), bundles, bootstrap: testnet.bootstrap[0], running }

    const replication = await replicationRuns(bench, opts.coreMiB, opts.runs, progress)
    const manyCores = await keepManyCores(bench, opts.cores, progress)
    return {
      command: opts.command,
      loadavg: { before: loadBefore, after: loadavg() },
      runs: opts.runs,
      coreMiB: opts.coreMiB,
      blockBytes: BLOCK_BYTES,
      writer: replication.writer,
      replication: replication.figures,
      fetchAfterWriterExit: replication.fetch,
      manyCores,
      aims: AIMS
    }
  } finally {
    await opened.closeAll()
  }
}
