// The phases of the budget section: each starts the board's node afresh over the same
// data folder (as a device restarts), inside a new memory cgroup at the board's budget,
// does one thing to it, and reads what it cost. A phase that fails (the node killed for
// memory, a deadline) is a figure; the next phase runs.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { BRIDGE_DEFAULTS, STORAGE_PEER_DEFAULTS, type NodeConfigFile, type StoragePeerSettings } from '../../../node/config/types.ts'
import { defaultConfig } from '../../../targets/artifact.ts'
import { connectToNode } from '../../client/connect.ts'
import type { Device } from '../../client/device.ts'
import type { Board } from '../../config/boards.ts'
import { HarnessError } from '../../harness/errors.ts'
import { freeUdpPort } from '../../harness/lan-agent.ts'
import { launchNode } from '../../harness/local-node.ts'
import { createMemoryCgroup } from '../../harness/memory-cgroup.ts'
import type { Broker } from '../../harness/mosquitto.ts'
import type { NodeProcess } from '../../harness/node-process.ts'
import { sleep, withDeadline } from '../../harness/wait.ts'
import { stream } from '../bridge/driver.ts'
import { RULE } from '../bridge/scenario.ts'
import { round } from '../measure.ts'
import type { Progress } from '../section.ts'
import { keepFromDevice } from '../storage/household.ts'
import { startPeer, waitTransfer, type StorageBench } from '../storage/peers.ts'
import type { PhaseFigures, PhaseName, RssSplit } from './figures.ts'

const SAMPLE_MS = 250
// Beyond the work itself: the node's start, its broker connection, stopping it.
const PHASE_SLACK_MS = 60_000

// A setting the issue lists as a lever, measured beside the current defaults.
export interface Lever {
  name: string
  // Added to the node's environment (what a board's service file would set).
  env?: Record<string, string>
  storagePeer?: Partial<StoragePeerSettings>
  // A memory budget other than the board's, to find the one it needs.
  limitMiB?: number
}

export const DEFAULT_LEVER: Lever = { name: 'current defaults' }

// What every phase shares.
export interface BudgetBench {
  work: string
  // The storage section's shape: the plain peer that writes the big core runs from it.
  peers: StorageBench
  bootstrap: string[]
  // The household device: it keeps the small cores and reads the node's status.
  device: Device
  deviceKey: string
  // The plain corestore peer (on Node.js, as a household device) that writes the big core.
  writerDir: string
  writerKey: string
  noCgroup: string | null
  progress: Progress
}

// One board (or boards alike) with one lever, and its broker.
export interface BoardRunContext {
  board: Board
  label: string
  lever: Lever
  // Names the node's config and data folder, the same for every phase of the run.
  nodeName: string
  broker: Broker
}

// What a phase does to the started node; it says what it did.
export type PhaseWork = (node: NodeProcess, nodeKey: string) => Promise<string>

export function storageSettings (board: Board, lever: Lever): StoragePeerSettings {
  return { ...STORAGE_PEER_DEFAULTS, ...defaultConfig(board).storagePeer, ...lever.storagePeer }
}

async function startBudgetNode (bench: BudgetBench, run: BoardRunContext, cgroupProcs: string | undefined): Promise<NodeProcess> {
  const roles = run.board.defaultRoles
  const config: Partial<NodeConfigFile> = {
    bootstrap: bench.bootstrap,
    roles: roles as NodeConfigFile['roles'],
    trustedKeys: [bench.deviceKey, bench.writerKey],
    storagePeer: storageSettings(run.board, run.lever),
    ...(roles.includes('bridge')
      ? { bridge: { broker: run.broker.url, caFile: null, clientId: `budget-${run.nodeName}`, username: null, password: null, rules: [RULE], commandTopics: [], ...BRIDGE_DEFAULTS } }
      : {}),
    ...(roles.includes('lan-ingest') ? { lanIngest: { port: await freeUdpPort(), host: '127.0.0.1', devices: [] } } : {})
  }
  return launchNode({ artifactDir: bench.peers.artifactDir, runtime: 'bare', board: run.board, work: bench.work, name: run.nodeName, config, cgroupProcs, env: run.lever.env })
}

// Runs `work` on a freshly started node, in a memory cgroup at the board's budget (or the
// lever's limit) when this machine can make one, within `deadlineMs`; `work` says what it
// did.
export async function runPhase (bench: BudgetBench, run: BoardRunContext, phase: PhaseName, deadlineMs: number,
  work: PhaseWork): Promise<PhaseFigures> {
  bench.progress(`budget: ${run.label}, ${run.lever.name}: ${phase}`, deadlineMs + PHASE_SLACK_MS * 2)
  const limitMiB = bench.noCgroup === null ? run.lever.limitMiB ?? run.board.memoryBudgetMb : null
  const cgroup = limitMiB === null ? null : createMemoryCgroup(limitMiB * 1024 * 1024)
  if (cgroup) dropFromPageCache(bench.peers.artifactDir)
  const started = Date.now()
  let node: NodeProcess | null = null
  let sampler: RssSampler | null = null
  let did = ''
  let failed: string | null = null
  try {
    node = await startBudgetNode(bench, run, cgroup?.procs)
    sampler = sampleRss(node.child.pid!)
    const running = node
    const gone = new Promise<never>((_resolve, reject) => running.child.once('close', (code, signal) =>
      reject(HarnessError.EXITED(running.name, `the end of the ${phase} phase (code ${code}, signal ${signal})`, running.lastLog()))))
    const phaseWork = (async () => {
      // Not readyKey: it stops a node that is slow to start, and the phase should say why.
      const nodeKey = String((await running.waitFor('ready', 30_000)).publicKey)
      if (run.board.defaultRoles.includes('bridge')) await running.waitFor('broker-connected', 20_000)
      return await work(running, nodeKey)
    })()
    did = await withDeadline(`end of the ${phase} phase`, Promise.race([phaseWork, gone]), deadlineMs + PHASE_SLACK_MS, () => running.lastLog())
  } catch (err) {
    failed = (err as Error).message
  } finally {
    sampler?.stop()
    await node?.stop(5000)
  }
  const oomKills = cgroup ? cgroup.oomKills() : null
  const maxChargedMiB = cgroup ? round(cgroup.maxUsageBytes() / 1024 / 1024) : null
  await cgroup?.remove()
  if (failed !== null && oomKills) failed = `killed for memory (${oomKills} OOM kills); ${failed}`
  const s = sampler?.figures() ?? { maxRssMiB: 0, atPeak: NO_RSS, atEnd: NO_RSS, majorFaults: 0 }
  return { phase, limitMiB, maxChargedMiB, oomKills, ...s, seconds: round((Date.now() - started) / 1000), did, failed: failed === null ? null : failed.slice(0, 600) }
}

// The board's bridge takes `messages` readings published as fast as the broker takes
// them; done once all are in the feed, or when they stop coming after publishing.
export function burst (bench: BudgetBench, run: BoardRunContext, qos: 0 | 1, messages: number) {
  return async (node: NodeProcess, nodeKey: string): Promise<string> => {
    const session = await connectToNode(bench.device, nodeKey)
    try {
      const length = async (): Promise<number> => (await session.control.status()).feeds.find((f) => f.name === RULE.feed)?.length ?? 0
      const before = await length()
      const result = await stream(run.broker, qos, messages, node.child.pid!, {
        read: async () => (await length()) - before, target: messages, pollMs: 100, lastLogs: () => node.lastLog()
      })
      const rate = result.elapsedS > 0 ? Math.round(result.reached / result.elapsedS) : 0
      const did = `${count(result.reached)} of ${count(messages)} readings in the feed, ${count(rate)}/s`
      // The broker keeps the rest for the node's session: not lost, but the node did not keep up.
      if (result.reached < messages) throw HarnessError.CHECK_FAILED(`${did}; then none for 5 s`)
      return did
    } finally {
      await session.close()
    }
  }
}

// The household device keeps `cores` new small cores on the node.
export function keepCores (bench: BudgetBench, run: BoardRunContext, cores: number) {
  return async (node: NodeProcess, nodeKey: string): Promise<string> => {
    // Names new to the device's store on every run.
    const kept = await keepFromDevice(bench.device, { key: nodeKey, proc: node }, cores, `${run.nodeName}-${Date.now()}`)
    return `${count(cores)} cores kept in ${round(kept.keptMs / 1000)} s`
  }
}

// A plain peer writes a `coreMiB` core (once; later runs find it in its store) and asks
// the node to keep it; done when the node holds every block.
export function takeCore (bench: BudgetBench, coreMiB: number) {
  return async (node: NodeProcess, nodeKey: string): Promise<string> => {
    const writer = startPeer(bench.peers, 'node', ['write', bench.writerDir, bench.bootstrap[0], String(coreMiB), nodeKey])
    try {
      const held = await waitTransfer(writer, 'held', [node])
      return `${coreMiB} MiB core held after ${round(Number(held.ms) / 1000)} s`
    } finally {
      await writer.stop(5000)
    }
  }
}

// The node restarted over everything the other phases left, settled, then measured.
export function idle (settleMs: number, periodMs: number) {
  return async (): Promise<string> => {
    await sleep(settleMs + periodMs)
    return `idle ${round(periodMs / 1000)} s after ${round(settleMs / 1000)} s to settle`
  }
}

// A memory cgroup is charged for the page cache a process of it reads first. On a board
// the node is the only one to read its Bare binary, bundle and addons, so its cgroup pays
// for them; here the build and earlier nodes have read them already. Dropping them from
// the page cache first (dd's nocache: posix_fadvise DONTNEED; only pages no running
// process maps go) makes the node read them again, charged to its cgroup as on a board.
function dropFromPageCache (dir: string): void {
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) spawnSync('dd', [`if=${path.join(entry.parentPath, entry.name)}`, 'iflag=nocache', 'count=0', 'status=none'], { stdio: 'ignore' })
  }
}

const NO_RSS: RssSplit = { rssMiB: 0, anonMiB: 0, fileMiB: 0 }

interface RssSampler {
  stop (): void
  figures (): { maxRssMiB: number, atPeak: RssSplit, atEnd: RssSplit, majorFaults: number }
}

// Samples the node's resident memory every SAMPLE_MS while it runs: the largest sample's
// split, the last one's, and VmHWM as last read (a killed node keeps its last values).
function sampleRss (pid: number): RssSampler {
  let peak = NO_RSS
  let last = NO_RSS
  let hwmKb = 0
  let majorFaults = 0
  const take = (): void => {
    let status: string
    try {
      status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    } catch {
      return
    }
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN)
    if (Number.isNaN(kb('VmRSS'))) return
    last = { rssMiB: round(kb('VmRSS') / 1024), anonMiB: round(kb('RssAnon') / 1024), fileMiB: round(kb('RssFile') / 1024) }
    hwmKb = Math.max(hwmKb, kb('VmHWM'))
    if (last.rssMiB >= peak.rssMiB) peak = last
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
      // majflt, the 12th field; the command name may hold spaces.
      majorFaults = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[9])
    } catch {}
  }
  take()
  const timer = setInterval(take, SAMPLE_MS)
  return {
    stop () {
      take()
      clearInterval(timer)
    },
    figures: () => ({ maxRssMiB: round(hwmKb / 1024), atPeak: peak, atEnd: last, majorFaults })
  }
}

export const count = (n: number): string => n.toLocaleString('en-US')
