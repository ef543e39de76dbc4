// The idle section of `roost bench`: the CPU an always-on node uses when nothing
// happens, side by side in one period with a node that runs no role and with an empty
// Bare runtime. The node runs a board's default roles (the Raspberry Pi 3 B's: storage
// and bridge) on Bare from the built artifact, with that board's config, connected to a
// Mosquitto broker, holding a few small cores a household device kept on it and a feed
// with some readings. CPU time is utime + stime of /proc/PID/stat; per thread, the
// context switches say how often each was woken. Every node, broker, testnet and folder
// started here is stopped or removed, whatever happens.
import { spawn } from 'node:child_process'
import path from 'node:path'
import type { MappingRule } from '../../node/bridge/rules.ts'
import { BRIDGE_DEFAULTS, type NodeConfigFile } from '../../node/config/types.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { deviceAt } from '../client/device.ts'
import { loadBoard } from '../config/boards.ts'
import { HarnessError } from '../harness/errors.ts'
import { buildLocal, launchNode, readyKey } from '../harness/local-node.ts'
import { createMemoryCgroup, whyNoMemoryCgroup } from '../harness/memory-cgroup.ts'
import { publish, startMosquitto, stopProcess } from '../harness/mosquitto.ts'
import type { NodeProcess } from '../harness/node-process.ts'
import { sleep } from '../harness/wait.ts'
import { KEEP_EVERY_READING } from '../harness/demo-broker.ts'
import { cpuMs, loadavg, round, rssKinds, threadTimes, vmHwmKb, vmRssKb, type ThreadTimes } from './measure.ts'
import { checkCounts, closers, progressToStderr, workAndTestnet, type Progress } from './section.ts'
import { keepFromDevice } from './storage/household.ts'

export interface IdleThreads { name: string, threads: number, cpuMs: number, wakeupsPerS: number }

export interface IdleProcess {
  // CPU time over the period, in % of one core, and in all.
  cpuPercent: number
  cpuMs: number
  // CPU in % of one core in each tenth of the period: a timer that fires rarely shows as a step.
  cpuPercentBySlice: number[]
  // Context switches of all its threads a second, and per kind of thread (by name), busiest first.
  wakeupsPerS: number
  threads: IdleThreads[]
  maxRssMiB: number
}

// The always-on node's memory at the end of the period, run inside a memory cgroup at
// its board's memory_budget_mb as its systemd unit runs it (MemoryMax), unless this
// machine cannot make one.
export type IdleMemory = {
  limitMiB: number
  maxChargedMiB: number
  oomKills: number
  rssMiB: number
  anonMiB: number
  fileMiB: number
} | { skipped: string, rssMiB: number, anonMiB: number, fileMiB: number }

export interface IdleFigures {
  board: string
  roles: string[]
  periodS: number
  settleS: number
  keptCores: number
  readings: number
  loadavg: { before: number[], after: number[] }
  node: IdleProcess
  noRoles: IdleProcess
  emptyRuntime: IdleProcess
  memory: IdleMemory
  aims: typeof AIMS
}

export interface IdleOptions {
  // How long the three processes are measured.
  periodMs: number
  // How long they run before that (DHT bootstrap, announcing the kept cores, the broker's
  // first $SYS values); SETTLE_MS by default.
  settleMs?: number
  progress?: Progress
}

// From the issue, printed for context and never asserted.
export const AIMS = { cpuPercent: 0.5, rssMiB: 48 } as const
export const IDLE_BOARD = 'raspberry-pi-3b'
const SETTLE_MS = 20_000
const KEPT_CORES = 20
const READINGS = 10
const SLICES = 10
const RULE: MappingRule = { filter: 'home/#', feed: 'home', decoder: 'number' }

export async function benchIdle (opts: IdleOptions): Promise<IdleFigures> {
  const { periodMs, settleMs = SETTLE_MS } = opts
  checkCounts('idle', { periodMs, settleMs: settleMs + 1 })
  const progress = opts.progress ?? progressToStderr
  const period = periodMs >= 60_000 ? `${round(periodMs / 60_000)} min` : `${periodMs / 1000} s`
  const before = loadavg()
  const opened = closers()
  try {
    const { work, testnet } = await workAndTestnet(opened, 'idle')
    const board = loadBoard(IDLE_BOARD)
    progress(`idle: building the node; ${board.id}'s roles (${board.defaultRoles.join(', ')}) for ${period}`)
    const { outDir } = await buildLocal(loadBoard('x86-64-mini-pc'), 'bare', path.join(work, 'artifact'))
    const broker = await startMosquitto({ settings: KEEP_EVERY_READING })
    opened.add(() => broker.close())
    const device = deviceAt(path.join(work, 'household'), { bootstrap: testnet.bootstrap })
    const deviceKey = encodeKey(device.keyPair.publicKey)

    const noCgroup = whyNoMemoryCgroup()
    const cgroup = noCgroup === null ? createMemoryCgroup(board.memoryBudgetMb * 1024 * 1024) : null
    if (cgroup) opened.add(() => cgroup.remove())

    const start = (name: string, roles: NodeConfigFile['roles'], cgroupProcs?: string): NodeProcess => {
      const node = launchNode({
        cgroupProcs,
        artifactDir: outDir,
        runtime: 'bare',
        board,
        work,
        name,
        config: {
          bootstrap: testnet.bootstrap,
          roles,
          trustedKeys: [deviceKey],
          ...(roles.includes('bridge') ? { bridge: { broker: broker.url, caFile: null, clientId: null, username: null, password: null, rules: [RULE], commandTopics: [], ...BRIDGE_DEFAULTS } } : {})
        }
      })
      opened.add(async () => { await node.stop() })
      return node
    }

    progress(`idle: the node takes ${KEPT_CORES} cores and ${READINGS} readings`)
    const node = start('always-on', board.defaultRoles as NodeConfigFile['roles'], cgroup?.procs)
    const nodeKey = await readyKey(node)
    if (board.defaultRoles.includes('bridge')) {
      await node.waitFor('broker-connected', 10_000)
      for (let i = 0; i < READINGS; i++) await publish(broker, `home/reading-${i % 3}`, String(20 + i), 1)
    }
    if (board.defaultRoles.includes('storage')) await keepFromDevice(device, { key: nodeKey, proc: node }, KEPT_CORES, 'idle')
    const noRoles = start('no-roles', [])
    await readyKey(noRoles)
    const empty = spawn(path.join(outDir, 'bin', 'bare'), ['-e', 'setInterval(() => {}, 3600000)'], { stdio: 'ignore' })
    opened.add(() => stopProcess(empty))

    progress(`idle: settling for ${settleMs / 1000} s`)
    await sleep(settleMs)
    progress(`idle: measuring for ${period}`, periodMs + 120_000)
    const measured = await measureIdle({ node: node.child.pid!, noRoles: noRoles.child.pid!, emptyRuntime: empty.pid! }, periodMs, [node, noRoles])
    const rss = { rssMiB: round(vmRssKb(node.child.pid!) / 1024), ...rssKinds(node.child.pid!) }
    const memory: IdleMemory = cgroup
      ? { limitMiB: board.memoryBudgetMb, maxChargedMiB: round(cgroup.maxUsageBytes() / 1024 / 1024), oomKills: cgroup.oomKills(), ...rss }
      : { skipped: noCgroup!, ...rss }
    return {
      board: board.id,
      roles: board.defaultRoles,
      periodS: periodMs / 1000,
      settleS: settleMs / 1000,
      keptCores: board.defaultRoles.includes('storage') ? KEPT_CORES : 0,
      readings: board.defaultRoles.includes('bridge') ? READINGS : 0,
      loadavg: { before, after: loadavg() },
      ...measured,
      memory,
      aims: AIMS
    }
  } finally {
    await opened.closeAll()
  }
}

type Who = 'node' | 'noRoles' | 'emptyRuntime'

// The processes' CPU time and wakeups over `periodMs`, read at the start, after each
// slice and at the end; a watched node that exits meanwhile fails the measurement.
async function measureIdle (pids: Record<Who, number>, periodMs: number, nodes: NodeProcess[]): Promise<Record<Who, IdleProcess>> {
  const whos = Object.keys(pids) as Who[]
  const first = Object.fromEntries(whos.map((w) => [w, { cpu: cpuMs(pids[w]), threads: threadTimes(pids[w]) }])) as Record<Who, { cpu: number, threads: Map<string, ThreadTimes> }>
  const slices: Record<Who, number[]> = { node: [], noRoles: [], emptyRuntime: [] }
  const sliceMs = periodMs / SLICES
  let previous = Object.fromEntries(whos.map((w) => [w, first[w].cpu])) as Record<Who, number>
  for (let i = 0; i < SLICES; i++) {
    await sleep(sliceMs)
    for (const node of nodes) if (node.child.exitCode !== null || node.child.signalCode !== null) throw HarnessError.EXITED(node.name, 'the end of the idle period', node.lastLog())
    for (const w of whos) {
      const now = cpuMs(pids[w])
      slices[w].push(round((now - previous[w]) / sliceMs * 100))
      previous[w] = now
    }
  }
  const result = {} as Record<Who, IdleProcess>
  for (const w of whos) {
    const used = cpuMs(pids[w]) - first[w].cpu
    result[w] = {
      cpuPercent: Math.round(used / periodMs * 100 * 1000) / 1000,
      cpuMs: round(used),
      cpuPercentBySlice: slices[w],
      ...threadWakeups(first[w].threads, threadTimes(pids[w]), periodMs),
      maxRssMiB: round(vmHwmKb(pids[w]) / 1024)
    }
  }
  return result
}

// Wakeups a second over the period, of all threads and per kind of thread; a thread
// that started during the period counts from zero.
function threadWakeups (before: Map<string, ThreadTimes>, after: Map<string, ThreadTimes>, periodMs: number): { wakeupsPerS: number, threads: IdleThreads[] } {
  const kinds = new Map<string, IdleThreads>()
  let all = 0
  for (const [tid, t] of after) {
    const b = before.get(tid)
    const wakeups = t.wakeups - (b?.wakeups ?? 0)
    const cpu = t.cpuMs - (b?.cpuMs ?? 0)
    all += wakeups
    const kind = kinds.get(t.name) ?? { name: t.name, threads: 0, cpuMs: 0, wakeupsPerS: 0 }
    kind.threads++
    kind.cpuMs += cpu
    kind.wakeupsPerS += wakeups / (periodMs / 1000)
    kinds.set(t.name, kind)
  }
  const threads = [...kinds.values()]
    .map((k) => ({ ...k, cpuMs: round(k.cpuMs), wakeupsPerS: round(k.wakeupsPerS) }))
    .sort((a, b) => b.wakeupsPerS - a.wakeupsPerS)
  return { wakeupsPerS: round(all / (periodMs / 1000)), threads }
}
