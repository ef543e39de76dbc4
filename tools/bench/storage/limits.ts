// Under the boards' memory limits: the same many-core keep and restart as
// many-cores.ts, with the node inside a memory cgroup limited to a board's
// memory_budget_mb, as its systemd unit runs it (MemoryMax): V8 sizes its heap to the
// memory it is given, so RSS on this machine (many GB) overstates what the node takes on
// a board. Keeping under the Pi 4 B's budget, holding (restarted) under the Pi Zero 2
// W's. Files the node maps that other processes had already read (the Bare binary, its
// addons) stay charged outside the cgroup here.
import path from 'node:path'
import { encodeKey } from '../../../node/identity/keys.ts'
import { deviceAt } from '../../client/device.ts'
import { loadBoard, type Board } from '../../config/boards.ts'
import { readyKey } from '../../harness/local-node.ts'
import { createMemoryCgroup, whyNoMemoryCgroup } from '../../harness/memory-cgroup.ts'
import { sleep } from '../../harness/wait.ts'
import { round } from '../measure.ts'
import type { Progress } from '../section.ts'
import type { LimitedFigures, LimitedRun } from './figures.ts'
import { ANNOUNCE_TIMEOUT_MS, KEEP_TIMEOUT_MS, keepFromDevice, waitAnnounced } from './household.ts'
import { IDLE_MS, startStorageNode, stop, type StorageBench } from './peers.ts'

export async function underBoardLimits (bench: StorageBench, cores: number, progress: Progress): Promise<LimitedFigures> {
  const reason = whyNoMemoryCgroup()
  if (reason) return { skipped: reason }
  const keepBoard = loadBoard('raspberry-pi-4b')
  const holdBoard = loadBoard('raspberry-pi-zero-2-w')
  const device = deviceAt(path.join(bench.work, 'household-limited'), { bootstrap: [bench.bootstrap] })
  const clientKey = encodeKey(device.keyPair.publicKey)

  let nodeKey = ''
  progress(`storage limits: keeping ${cores} cores under ${keepBoard.id}'s ${keepBoard.memoryBudgetMb} MiB`, KEEP_TIMEOUT_MS + 60_000)
  const keeping = await limitedRun(keepBoard, async (cgroupProcs) => {
    const node = startStorageNode(bench, 'home-limited', [clientKey], { board: keepBoard, cgroupProcs })
    try {
      nodeKey = await readyKey(node)
      await keepFromDevice(device, { key: nodeKey, proc: node }, cores, 'limited')
    } finally {
      await stop(node)
    }
  })
  if (keeping.figures.failed) return { keeping: keeping.figures, holding: null }
  progress(`storage limits: holding them after a restart under ${holdBoard.id}'s ${holdBoard.memoryBudgetMb} MiB`, ANNOUNCE_TIMEOUT_MS + 60_000)
  const holding = await limitedRun(holdBoard, async (cgroupProcs) => {
    const node = startStorageNode(bench, 'home-limited', [clientKey], { board: holdBoard, cgroupProcs })
    try {
      await readyKey(node)
      const announceMs = await waitAnnounced(device, { key: nodeKey, proc: node }, cores)
      await sleep(IDLE_MS * 2)
      return announceMs
    } finally {
      await stop(node)
    }
  })
  return { keeping: keeping.figures, holding: { ...holding.figures, announceMs: holding.result } }
}

// `work` inside a memory cgroup at the board's budget, removed afterwards; a failure
// (the node killed for memory, say) is part of the figures.
async function limitedRun<T> (board: Board, work: (cgroupProcs: string) => Promise<T>): Promise<{ result: T | null, figures: LimitedRun }> {
  const cgroup = createMemoryCgroup(board.memoryBudgetMb * 1024 * 1024)
  try {
    let result: T | null = null
    let failed: string | null = null
    try {
      result = await work(cgroup.procs)
    } catch (err) {
      failed = (err as Error).message
    }
    return { result, figures: { board: board.name, limitMiB: board.memoryBudgetMb, maxChargedMiB: round(cgroup.maxUsageBytes() / 1024 / 1024), oomKills: cgroup.oomKills(), failed } }
  } finally {
    await cgroup.remove()
  }
}
