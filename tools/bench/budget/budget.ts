// The budget section of `roost bench`: for every board with the Bare runtime, its default
// roles on Bare from the built artifact (this machine's x86-64 Bare runs the bundle with
// that board's config, as the idle and storage sections do), each phase inside a memory
// cgroup of the board's memory_budget_mb as its systemd unit runs it (MemoryMax): bursts
// of readings at QoS 0 and QoS 1 from Mosquitto (with the README's keep-every-reading
// settings), a household device keeping many new cores, a big core taken in, then idle
// over all of it. Boards with the same budget, roles and storage settings run once. The
// smallest bridge board's bursts run once more without its budget, in a cgroup of its
// RAM: the RSS a node takes on that board where nothing holds it back (figures.ts says
// why not with no cgroup at all). Levers (other settings) run beside the current defaults
// in the same run. Every node, broker, testnet and folder started here is stopped or
// removed, whatever happens.
import path from 'node:path'
import { loadOrCreateIdentity } from '../../../node/identity/identity.ts'
import { encodeKey } from '../../../node/identity/keys.ts'
import { bundleNode, type Runtime } from '../../../targets/bundle.ts'
import { deviceAt } from '../../client/device.ts'
import { loadBoard, loadBoards, type Board } from '../../config/boards.ts'
import { HarnessError } from '../../harness/errors.ts'
import { KEEP_EVERY_READING } from '../../harness/demo-broker.ts'
import { buildLocal } from '../../harness/local-node.ts'
import { whyNoMemoryCgroup } from '../../harness/memory-cgroup.ts'
import { startMosquitto } from '../../harness/mosquitto.ts'
import type { NodeProcess } from '../../harness/node-process.ts'
import { loadavg } from '../measure.ts'
import { checkCounts, closers, progressToStderr, workAndTestnet, type Progress } from '../section.ts'
import { PEER_ENTRY } from '../storage/peers.ts'
import { AIMS, type BoardRun, type BudgetFigures, type PhaseFigures, type PhaseName } from './figures.ts'
import { burst, DEFAULT_LEVER, idle, keepCores, runPhase, storageSettings, takeCore, type BoardRunContext, type BudgetBench, type Lever, type PhaseWork } from './phases.ts'

export type { BudgetFigures } from './figures.ts'

const MIB = 1024 * 1024

// The levers from the issue that a setting can pull without a new build, by name.
export const LEVERS: Record<string, Lever> = {
  // glibc makes a malloc arena per thread that allocates (rocksdb's, libuv's pool, V8's),
  // up to 8 per core; each keeps freed memory. A service file can set this.
  'malloc-arenas-2': { name: 'malloc-arenas-2', env: { MALLOC_ARENA_MAX: '2' } },
  // rocksdb memtables of 1 MiB instead of the board's (4 or 16 MiB).
  'memtable-1m': { name: 'memtable-1m', storagePeer: { memtableBytes: 1 * MIB } },
  // Half the cores open at once for syncing.
  'open-cores-16': { name: 'open-cores-16', storagePeer: { maxOpenCores: 16 } }
}

// A lever by name: one of LEVERS, or limit-N, a memory budget of N MiB instead of the board's.
export function leverNamed (name: string): Lever | undefined {
  const limit = /^limit-(\d+)$/.exec(name)
  if (limit && Number(limit[1]) >= 16) return { name: `memory budget ${limit[1]} MiB`, limitMiB: Number(limit[1]) }
  return LEVERS[name]
}

export interface BudgetOptions {
  // Idle: measured this long after settling this long.
  idleMs: number
  settleMs: number
  // Readings per burst.
  messages: number
  // New small cores the device keeps; size of the core taken in.
  cores: number
  coreMiB: number
  // Board ids; every board with the Bare runtime when empty.
  boards?: string[]
  // LEVERS by name, each run beside the current defaults.
  levers?: string[]
  // The command line, printed with the figures.
  command: string
  progress?: Progress
}

// Boards alike (same budget, roles and storage settings) run once, under the first's name.
export function boardGroups (boards: Board[]): Board[][] {
  const groups = new Map<string, Board[]>()
  for (const board of boards) {
    const s = storageSettings(board, DEFAULT_LEVER)
    const key = `${board.memoryBudgetMb}/${[...board.defaultRoles].sort().join(',')}/${s.memtableBytes}/${s.maxOpenCores}`
    groups.set(key, [...groups.get(key) ?? [], board])
  }
  // Smallest budget first, then fewest roles: the bursts without a budget run on the first with a bridge.
  return [...groups.values()].sort((a, b) => a[0].memoryBudgetMb - b[0].memoryBudgetMb || a[0].defaultRoles.length - b[0].defaultRoles.length)
}

export async function benchBudget (opts: BudgetOptions): Promise<BudgetFigures> {
  const { idleMs, settleMs, messages, cores, coreMiB } = opts
  checkCounts('budget', { idleMs, settleMs: settleMs + 1, messages, cores, coreMiB })
  const levers = [DEFAULT_LEVER, ...(opts.levers ?? []).map((name) => {
    const lever = leverNamed(name)
    if (!lever) throw HarnessError.BAD_OPTION('budget: lever', `unknown lever ${name} (${Object.keys(LEVERS).join(', ')}, limit-N)`)
    return lever
  })]
  const boards = (opts.boards?.length ? opts.boards.map((id) => loadBoard(id)) : loadBoards()).filter((b) => b.program === 'bare')
  if (boards.length === 0) throw HarnessError.BAD_OPTION('budget: boards', 'none of them runs the Bare runtime')
  const progress = opts.progress ?? progressToStderr
  const before = loadavg()
  let highest = before[0]
  const opened = closers()
  try {
    const { work, testnet } = await workAndTestnet(opened, 'budget')
    const groups = boardGroups(boards)
    progress(`budget: building the node and the writer; ${groups.length} board runs × ${levers.length} lever${levers.length === 1 ? '' : 's'}`)
    const { outDir } = await buildLocal(loadBoard('x86-64-mini-pc'), 'bare', path.join(work, 'artifact'))
    const bundles: Record<Runtime, string> = { bare: path.join(work, 'peer-bare'), node: path.join(work, 'peer-node') }
    if (groups.some((g) => g[0].defaultRoles.includes('storage'))) {
      await bundleNode({ runtime: 'node', host: 'linux-x64', outDir: bundles.node, version: 'bench', entry: PEER_ENTRY })
    }
    const running = new Set<NodeProcess>()
    opened.add(async () => { for (const proc of running) await proc.stop(2000) })
    const device = deviceAt(path.join(work, 'household'), { bootstrap: testnet.bootstrap })
    const writerDir = path.join(work, 'writer')
    const bench: BudgetBench = {
      work,
      peers: { work, board: groups[0][0], artifactDir: outDir, bare: path.join(outDir, 'bin', 'bare'), bundles, bootstrap: testnet.bootstrap[0], running },
      bootstrap: testnet.bootstrap,
      device,
      deviceKey: encodeKey(device.keyPair.publicKey),
      writerDir,
      writerKey: encodeKey(loadOrCreateIdentity(writerDir).keyPair.publicKey),
      noCgroup: whyNoMemoryCgroup(),
      progress
    }

    const boardRun = async (group: Board[], lever: Lever, nodeName: string, phases: 'all' | 'bursts'): Promise<BoardRun> => {
      const board = group[0]
      const broker = await startMosquitto({ settings: KEEP_EVERY_READING })
      const label = group.map((b) => b.id).join(' = ')
      const run: BoardRunContext = { board, label, lever, nodeName, broker }
      const has = (role: string): boolean => board.defaultRoles.includes(role as never)
      const results: PhaseFigures[] = []
      const phase = async (name: PhaseName, deadlineMs: number, work: PhaseWork): Promise<void> => {
        results.push(await runPhase(bench, run, name, deadlineMs, work))
        highest = Math.max(highest, loadavg()[0])
      }
      try {
        if (has('bridge')) {
          await phase('burst qos0', 60_000 + messages * 5, burst(bench, run, 0, messages))
          await phase('burst qos1', 60_000 + messages * 5, burst(bench, run, 1, messages))
        }
        if (phases === 'all' && has('storage')) {
          await phase('keep cores', 60_000 + cores * 300, keepCores(bench, run, cores))
          await phase('take core', 60_000 + coreMiB * 2000, takeCore(bench, coreMiB))
        }
        if (phases === 'all') await phase('idle', settleMs + idleMs + 30_000, idle(settleMs, idleMs))
      } finally {
        await broker.close()
      }
      const s = storageSettings(board, lever)
      return { boards: group.map((b) => b.id), roles: board.defaultRoles, budgetMiB: lever.limitMiB ?? board.memoryBudgetMb, memtableMiB: s.memtableBytes / MIB, lever: lever.name, phases: results }
    }

    const runs: BoardRun[] = []
    for (const [g, group] of groups.entries()) {
      for (const [l, lever] of levers.entries()) runs.push(await boardRun(group, lever, `board-${g}-lever-${l}`, 'all'))
    }
    const bridgeGroup = groups.find((g) => g[0].defaultRoles.includes('bridge'))
    const unbudgeted: Lever | null = bridgeGroup ? { name: `no budget: the board's RAM (${bridgeGroup[0].ramMb} MiB) as the limit`, limitMiB: bridgeGroup[0].ramMb } : null
    const withoutBudget = bridgeGroup && unbudgeted ? await boardRun(bridgeGroup, unbudgeted, 'no-budget', 'bursts') : null
    return {
      command: opts.command,
      loadavg: { before, after: loadavg(), highest },
      sizes: { idleS: idleMs / 1000, settleS: settleMs / 1000, messages, cores, coreMiB },
      noCgroup: bench.noCgroup,
      runs,
      withoutBudget,
      aims: AIMS
    }
  } finally {
    await opened.closeAll()
  }
}
