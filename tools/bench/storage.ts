// Storage-peer figures for `roost bench`, measured side by side in one run over one
// loopback testnet: how fast a writer's encrypted core reaches the home node (the Bare
// artifact) next to a plain corestore reader on Bare taking the same core from the same
// writer; how long a reader takes to fetch 100 MiB from each once the writer's process
// has exited; and the home node's memory while and after it keeps 1,000 small cores.
// A third receiver, plain corestore opened with the storage settings of the smaller
// boards (node/storage/corestore.ts: 4 MiB memtables; the bench's x86 board gives the
// node 16 MiB), tells what those settings cost.
// The writer and readers are tools/bench/plain-core-peer.ts, bundled like the node.
// Every process and folder started here is stopped or removed, whatever happens.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import createTestnet from 'hyperdht/testnet.js'
import { STORAGE_PEER_DEFAULTS } from '../../node/config/types.ts'
import type { StorageStatus } from '../../node/protocol/storage-messages.ts'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import { bundleNode, BUNDLE_FILE, REPO_ROOT, type Runtime } from '../../targets/bundle.ts'
import { loadBoard, type Board } from '../config/boards.ts'
import { buildLocal, startNode, writeConfig } from '../harness/local-node.ts'
import { cpuMs, median, round, sleep, vmHwmKb } from './measure.ts'
import { createMemoryCgroup, whyNoMemoryCgroup } from '../harness/memory-cgroup.ts'
import { connectToNode } from '../client/connect.ts'
import { watchNode, type NodeProcess } from '../harness/node-process.ts'
import { openClientStore } from '../client/store.ts'
import { keepSmallCores, type KeptCores } from '../harness/many-cores.ts'
import { HarnessError } from '../harness/errors.ts'
import { deviceAt, type Device } from '../client/device.ts'

const PEER_ENTRY = path.join(REPO_ROOT, 'tools', 'bench', 'plain-core-peer.ts')
const BLOCK_BYTES = 64 * 1024
const FETCH_MIB = 100
const KEEPS_IN_FLIGHT = 16
const TRANSFER_TIMEOUT_MS = 600_000
// After the keeping device has gone: the keeper's 3 s linger, corestore's gc (4 × 2 s).
const SETTLE_TIMEOUT_MS = 30_000
const IDLE_MS = 5000
const ANNOUNCE_TIMEOUT_MS = 180_000

export interface TransferFigures {
  // Medians over the runs, and every run's value.
  mibPerS: number
  allMibPerS: number[]
  // CPU time of the receiving process during the transfer, in % of one core (median).
  cpuPercent: number
  // Peak RSS of the receiving process after the transfer (median).
  maxRssMiB: number
}

export interface FetchFigures { ms: number, mibPerS: number, connectMs: number }

export interface ManyCoresFigures {
  cores: number
  keepsInFlight: number
  keptMs: number
  // Highest values in the node's status while the cores were being kept.
  peakOpenCores: number
  peakSyncing: number
  maxOpenCores: number
  // Node RSS: with the storage role and no cores yet, idle; the most seen while keeping;
  // then with the device gone and every core closed.
  empty: { maxRssMiB: number, rssMiB: number }
  keepingMaxRssMiB: number
  idle: { maxRssMiB: number, rssMiB: number, openCores: number, settleMs: number, breakdown: RssPart[] }
  // The same node restarted over the same storage, once it has announced every core
  // again, idle: what holding 1,000 cores costs.
  restarted: { maxRssMiB: number, rssMiB: number, announceMs: number, anonMiB: number, fileMiB: number, breakdown: RssPart[] }
}

export interface StorageFigures {
  command: string
  loadavg: { before: number[], after: number[] }
  runs: number
  coreMiB: number
  blockBytes: number
  writer: { runtime: Runtime, writeMs: number }
  replication: { node: TransferFigures, plain: TransferFigures, plainRoostStorage: TransferFigures, nodeToPlain: number }
  fetchAfterWriterExit: { mib: number, reader: Runtime, fromNode: FetchFigures, fromPlain: FetchFigures }
  manyCores: ManyCoresFigures
  limited: LimitedFigures
  aims: typeof AIMS
}

// From the issue, printed for context and never asserted.
export const AIMS = { idleRssMiB: 64 } as const

export async function benchStorage (opts: { coreMiB: number, cores: number, runs: number, command: string }): Promise<StorageFigures> {
  const loadBefore = loadavg()
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-bench-storage-'))
  const testnet = await createTestnet(3, { host: '127.0.0.1' })
  const running = new Set<NodeProcess>()
  try {
    const board = loadBoard('x86-64-mini-pc')
    const { outDir } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
    const bare = path.join(outDir, 'bin', 'bare')
    const bundles: Record<Runtime, string> = { bare: path.join(work, 'peer-bare'), node: path.join(work, 'peer-node') }
    for (const runtime of ['bare', 'node'] as const) {
      await bundleNode({ runtime, host: board.host, outDir: bundles[runtime], version: 'bench', entry: PEER_ENTRY })
    }
    const bootstrap = `${testnet.bootstrap[0].host}:${testnet.bootstrap[0].port}`
    const ctx: Ctx = { work, board, artifactDir: outDir, bare, bundles, bootstrap, running }

    const replication = await replicationRuns(ctx, opts.coreMiB, opts.runs)
    const manyCores = await keepManyCores(ctx, opts.cores)
    const limited = await underBoardLimits(ctx, opts.cores)
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
      limited,
      aims: AIMS
    }
  } finally {
    for (const proc of running) await proc.stop(2000)
    await testnet.destroy()
    fs.rmSync(work, { recursive: true, force: true })
  }
}

interface Ctx {
  work: string
  board: Board
  artifactDir: string
  bare: string
  bundles: Record<Runtime, string>
  bootstrap: string
  running: Set<NodeProcess>
}

function startPeer (ctx: Ctx, runtime: Runtime, args: string[]): NodeProcess {
  const command = runtime === 'bare' ? ctx.bare : process.execPath
  const proc = watchNode(spawn(command, [path.join(ctx.bundles[runtime], BUNDLE_FILE), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }))
  track(ctx, proc)
  return proc
}

// With `board`, the node gets that board's config (its storage settings); with
// `cgroupProcs` it starts inside that memory cgroup.
function startStorageNode (ctx: Ctx, name: string, trustedKeys: string[], opts: { board?: Board, cgroupProcs?: string } = {}): NodeProcess {
  const storage = path.join(ctx.work, name)
  const configFile = `${storage}.json`
  writeConfig(configFile, { ...defaultConfig(opts.board ?? ctx.board), dataDir: storage, bootstrap: [ctx.bootstrap], roles: ['storage'], trustedKeys })
  const proc = watchNode(startNode(ctx.artifactDir, 'bare', configFile, 'pipe', { cgroupProcs: opts.cgroupProcs }))
  track(ctx, proc)
  return proc
}

function track (ctx: Ctx, proc: NodeProcess): void {
  ctx.running.add(proc)
  proc.child.once('close', () => ctx.running.delete(proc))
}

async function stop (proc: NodeProcess): Promise<void> {
  await proc.stop(5000)
}

// Every run sends the same core from the same writer to a fresh home node and to a fresh
// plain reader, in alternating order so that drift in machine load hits both alike. The
// last run's node and reader stay up for the fetch after the writer has exited.
async function replicationRuns (ctx: Ctx, coreMiB: number, runs: number): Promise<{
  writer: StorageFigures['writer'], figures: StorageFigures['replication'], fetch: StorageFigures['fetchAfterWriterExit']
}> {
  const writerDir = path.join(ctx.work, 'writer')
  const writerKey = encodeKey(loadOrCreateIdentity(writerDir).keyPair.publicKey)
  type Receiver = 'node' | 'plain' | 'plainRoostStorage'
  const samples: Record<Receiver, Array<{ mibPerS: number, cpu: number, rss: number }>> = { node: [], plain: [], plainRoostStorage: [] }
  let written: { key: string, length: number, byteLength: number, writeMs: number } | null = null
  // The last run's receivers, kept up for the fetch after the writer has exited.
  let lastNode: { proc: NodeProcess, key: string } | null = null
  let lastPlain: { proc: NodeProcess, key: string } | null = null

  // The writer writes the core on its first start; later starts find it in its store.
  const startWriter = async (nodeKey: string | null): Promise<NodeProcess> => {
    const writer = startPeer(ctx, 'node', ['write', writerDir, ctx.bootstrap, String(coreMiB), ...(nodeKey ? [nodeKey] : [])])
    const w = await writer.waitFor('written', TRANSFER_TIMEOUT_MS)
    written ??= { key: String(w.key), length: Number(w.length), byteLength: Number(w.byteLength), writeMs: Number(w.ms) }
    return writer
  }
  const sample = (who: Receiver, pid: number, cpuBefore: number, ms: number): void => {
    samples[who].push({ mibPerS: written!.byteLength / 1024 / 1024 / (ms / 1000), cpu: (cpuMs(pid) - cpuBefore) / ms * 100, rss: vmHwmKb(pid) / 1024 })
  }

  const receivers: Receiver[] = ['node', 'plain', 'plainRoostStorage']
  for (let i = 0; i < runs; i++) {
    // Each run starts with the next receiver, so drift in machine load hits all alike.
    const order = receivers.map((_, j) => receivers[(i + j) % receivers.length])
    for (const who of order) {
      const isLast = i === runs - 1
      if (who === 'node') {
        const node = startStorageNode(ctx, `home-${i}`, [writerKey])
        const nodeKey = String((await node.waitFor('ready', 30_000)).publicKey)
        const cpuBefore = cpuMs(node.child.pid!)
        const writer = await startWriter(nodeKey)
        const held = await writer.waitFor('held', TRANSFER_TIMEOUT_MS)
        sample(who, node.child.pid!, cpuBefore, Number(held.ms))
        await stop(writer)
        if (isLast) lastNode = { proc: node, key: nodeKey }
        else await stop(node)
      } else {
        const writer = await startWriter(null)
        const writerPeer = String((await writer.waitFor('ready')).publicKey)
        const plain = startPeer(ctx, 'bare', ['read', path.join(ctx.work, `${who}-${i}`), ctx.bootstrap, writerPeer, written!.key, String(written!.length),
          ...(who === 'plainRoostStorage' ? ['roost-storage'] : [])])
        const plainKey = String((await plain.waitFor('ready', 30_000)).publicKey)
        const cpuBefore = cpuMs(plain.child.pid!)
        const read = await plain.waitFor('read', TRANSFER_TIMEOUT_MS)
        sample(who, plain.child.pid!, cpuBefore, Number(read.ms))
        await stop(writer)
        if (isLast && who === 'plain') lastPlain = { proc: plain, key: plainKey }
        else await stop(plain)
      }
    }
  }

  // The writer's process has exited (stop() waits for it): a reader on Node.js, as a
  // household device is, fetches the first 100 MiB from each holder.
  const fetchBlocks = Math.min(written!.length, Math.ceil(FETCH_MIB * 1024 * 1024 / BLOCK_BYTES))
  const fetchFrom = async (peerKey: string, name: string): Promise<FetchFigures> => {
    const reader = startPeer(ctx, 'node', ['read', path.join(ctx.work, name), ctx.bootstrap, peerKey, written!.key, String(fetchBlocks)])
    const read = await reader.waitFor('read', TRANSFER_TIMEOUT_MS)
    await stop(reader)
    const ms = Number(read.ms)
    return { ms: round(ms), mibPerS: round(fetchBlocks * BLOCK_BYTES / 1024 / 1024 / (ms / 1000)), connectMs: round(Number(read.connectMs)) }
  }
  const fromNode = await fetchFrom(lastNode!.key, 'fetch-node')
  const fromPlain = await fetchFrom(lastPlain!.key, 'fetch-plain')
  await stop(lastNode!.proc)
  await stop(lastPlain!.proc)

  const summarise = (s: Array<{ mibPerS: number, cpu: number, rss: number }>): TransferFigures => ({
    mibPerS: median(s.map((x) => x.mibPerS)),
    allMibPerS: s.map((x) => round(x.mibPerS)),
    cpuPercent: Math.round(median(s.map((x) => x.cpu))),
    maxRssMiB: median(s.map((x) => x.rss))
  })
  const node = summarise(samples.node)
  const plain = summarise(samples.plain)
  return {
    writer: { runtime: 'node', writeMs: round(written!.writeMs) },
    figures: { node, plain, plainRoostStorage: summarise(samples.plainRoostStorage), nodeToPlain: Math.round(node.mibPerS / plain.mibPerS * 100) / 100 },
    fetch: { mib: round(fetchBlocks * BLOCK_BYTES / 1024 / 1024), reader: 'node', fromNode, fromPlain }
  }
}

async function keepManyCores (ctx: Ctx, cores: number): Promise<ManyCoresFigures> {
  const clientDir = path.join(ctx.work, 'household')
  const clientKey = encodeKey(loadOrCreateIdentity(clientDir).keyPair.publicKey)
  const node = startStorageNode(ctx, 'home-many', [clientKey])
  const nodeKey = String((await node.waitFor('ready', 30_000)).publicKey)
  const pid = node.child.pid!
  await sleep(IDLE_MS)
  const empty = { maxRssMiB: round(vmHwmKb(pid) / 1024), rssMiB: round(vmRssKb(pid) / 1024) }
  const device = deviceAt(clientDir, { bootstrap: [ctx.bootstrap] })
  const kept = await keepFromDevice(device, nodeKey, cores, 'bench')
  // VmHWM is the most the node has had resident so far: here, while keeping.
  const keepingMaxRssKb = vmHwmKb(pid)

  // The device has gone; wait for every core to close, then let the node idle.
  const gone = Date.now()
  const observer = await connectToNode(device, nodeKey)
  let status: StorageStatus
  try {
    status = (await observer.control.status()).storage!
    while (status.openCores > 0 && Date.now() - gone < SETTLE_TIMEOUT_MS) {
      await sleep(500)
      status = (await observer.control.status()).storage!
    }
  } finally {
    await observer.close()
  }
  const settleMs = Date.now() - gone
  await sleep(IDLE_MS)
  const idle = { maxRssMiB: round(vmHwmKb(pid) / 1024), rssMiB: round(vmRssKb(pid) / 1024), openCores: status.openCores, settleMs, breakdown: rssBreakdown(pid) }
  await stop(node)

  const again = startStorageNode(ctx, 'home-many', [clientKey])
  await again.waitFor('ready', 30_000)
  // The restarted keeper announces every core again (at most 20 a second); then idle.
  const announceMs = await waitAnnounced(device, nodeKey, cores)
  await sleep(IDLE_MS * 2)
  const restarted = {
    maxRssMiB: round(vmHwmKb(again.child.pid!) / 1024), rssMiB: round(vmRssKb(again.child.pid!) / 1024), announceMs,
    ...rssKinds(again.child.pid!), breakdown: rssBreakdown(again.child.pid!)
  }
  await stop(again)

  const peakOf = (k: 'openCores' | 'syncing'): number => Math.max(0, ...kept.samples.map((s) => s.storage[k]))
  return {
    cores,
    keepsInFlight: KEEPS_IN_FLIGHT,
    keptMs: round(kept.keptMs),
    peakOpenCores: peakOf('openCores'),
    peakSyncing: peakOf('syncing'),
    maxOpenCores: { ...STORAGE_PEER_DEFAULTS, ...defaultConfig(ctx.board).storagePeer }.maxOpenCores,
    empty,
    keepingMaxRssMiB: round(keepingMaxRssKb / 1024),
    idle,
    restarted
  }
}

// A household device keeps `cores` new small
// cores on the node over one connection, as keepSmallCores does, and goes.
async function keepFromDevice (device: Device, nodeKey: string, cores: number, namePrefix: string): Promise<KeptCores> {
  const store = openClientStore(device.storeDir)
  try {
    const session = await connectToNode(device, nodeKey)
    try {
      store.replicate(session.socket)
      return await keepSmallCores(session, store, { count: cores, inFlight: KEEPS_IN_FLIGHT, namePrefix })
    } finally {
      await session.close()
    }
  } finally {
    await store.close()
  }
}

// How long a started node takes to announce `cores` kept cores.
async function waitAnnounced (device: Device, nodeKey: string, cores: number): Promise<number> {
  const started = Date.now()
  const watcher = await connectToNode(device, nodeKey)
  try {
    while ((await watcher.control.status()).storage!.announced < cores) {
      if (Date.now() - started > ANNOUNCE_TIMEOUT_MS) throw HarnessError.WAIT_TIMEOUT(`announcement of all ${cores} cores`, ANNOUNCE_TIMEOUT_MS, '')
      await sleep(1000)
    }
  } finally {
    await watcher.close()
  }
  return Date.now() - started
}

export interface LimitedRun { board: string, limitMiB: number, maxChargedMiB: number, oomKills: number, failed: string | null }
export type LimitedFigures = { keeping: LimitedRun, holding: (LimitedRun & { announceMs: number | null }) | null } | { skipped: string }

// The same 1,000-core keep and restart as above, with the node inside a memory cgroup
// limited to a board's memory_budget_mb, as its systemd unit runs it (MemoryMax): V8
// sizes its heap to the memory it is given, so RSS on this machine (many GB) overstates
// what the node takes on a board. Keeping under the Pi 4 B's budget, holding (restarted)
// under the Pi Zero 2 W's. Files the node maps that other processes had already read
// (the Bare binary, its addons) stay charged outside the cgroup here.
async function underBoardLimits (ctx: Ctx, cores: number): Promise<LimitedFigures> {
  const reason = whyNoMemoryCgroup()
  if (reason) return { skipped: reason }
  const keepBoard = loadBoard('raspberry-pi-4b')
  const holdBoard = loadBoard('raspberry-pi-zero-2-w')
  const clientDir = path.join(ctx.work, 'household-limited')
  const clientKey = encodeKey(loadOrCreateIdentity(clientDir).keyPair.publicKey)
  const device = deviceAt(clientDir, { bootstrap: [ctx.bootstrap] })
  const run = async <T>(board: Board, fn: (cgroupProcs: string) => Promise<T>): Promise<{ result: T | null, figures: LimitedRun }> => {
    const cgroup = createMemoryCgroup(board.memoryBudgetMb * 1024 * 1024)
    try {
      let result: T | null = null
      let failed: string | null = null
      try {
        result = await fn(cgroup.procs)
      } catch (err) {
        failed = (err as Error).message
      }
      return { result, figures: { board: board.name, limitMiB: board.memoryBudgetMb, maxChargedMiB: round(cgroup.maxUsageBytes() / 1024 / 1024), oomKills: cgroup.oomKills(), failed } }
    } finally {
      await cgroup.remove()
    }
  }

  let nodeKey = ''
  const keeping = await run(keepBoard, async (cgroupProcs) => {
    const node = startStorageNode(ctx, 'home-limited', [clientKey], { board: keepBoard, cgroupProcs })
    try {
      nodeKey = String((await node.waitFor('ready', 30_000)).publicKey)
      await keepFromDevice(device, nodeKey, cores, 'limited')
    } finally {
      await stop(node)
    }
  })
  if (keeping.figures.failed) return { keeping: keeping.figures, holding: null }
  const holding = await run(holdBoard, async (cgroupProcs) => {
    const node = startStorageNode(ctx, 'home-limited', [clientKey], { board: holdBoard, cgroupProcs })
    try {
      await node.waitFor('ready', 30_000)
      const announceMs = await waitAnnounced(device, nodeKey, cores)
      await sleep(IDLE_MS * 2)
      return announceMs
    } finally {
      await stop(node)
    }
  })
  return { keeping: keeping.figures, holding: { ...holding.figures, announceMs: holding.result } }
}

// Resident memory of the process's own (anonymous) pages and of mapped files: the
// runtime binary and addons, pages the kernel can drop and read again under pressure.
function rssKinds (pid: number): { anonMiB: number, fileMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN)
  return { anonMiB: round(kb('RssAnon') / 1024), fileMiB: round(kb('RssFile') / 1024) }
}

function vmRssKb (pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw HarnessError.CHECK_FAILED(`no VmRSS for pid ${pid}`)
  return Number(match[1])
}

export interface RssPart { part: string, mib: number }

// Where a process's resident memory is, from /proc/PID/smaps. V8 takes its heap in
// 256 KiB anonymous mappings, glibc's malloc grows [heap] (and 64 MiB arenas for
// threads); the runtime binary and the addons are file mappings.
export function rssBreakdown (pid: number): RssPart[] {
  const parts = new Map<string, number>()
  let part = ''
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (head) {
      const kb = (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024
      const name = head[3]
      if (name === '[heap]') part = 'malloc heap'
      else if (name === '') part = kb < 1024 ? 'small anonymous maps (V8 heap)' : 'large anonymous maps (malloc arenas, V8)'
      else if (name.endsWith('/bin/bare')) part = 'bare binary'
      else if (name.endsWith('.bare') || name.includes('.so')) part = 'addons and libraries'
      else part = 'other'
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (rss) parts.set(part, (parts.get(part) ?? 0) + Number(rss[1]))
  }
  return [...parts].map(([p, kb]) => ({ part: p, mib: round(kb / 1024) })).sort((a, b) => b.mib - a.mib)
}

function loadavg (): number[] {
  return os.loadavg().map((l) => Number(l.toFixed(2)))
}

function limitedReport (l: LimitedFigures): string[] {
  if ('skipped' in l) return [`  under the boards' memory limits: not measured (${l.skipped})`]
  const line = (what: string, r: LimitedRun): string =>
    `    ${what}, ${r.board} (${r.limitMiB} MiB): at most ${r.maxChargedMiB.toFixed(1)} MiB charged, ${r.oomKills} OOM kills` +
    (r.failed ? `; FAILED: ${r.failed}` : '')
  return [
    '  under the boards\' memory limits (a memory cgroup each, as the systemd unit sets MemoryMax; the Bare binary\'s',
    '  and addons\' file pages, read before by other processes here, are charged outside it):',
    line('keeping 1,000 new cores', l.keeping),
    l.holding === null
      ? '    holding them after a restart: not run, keeping failed'
      : line(`holding them after a restart${l.holding.announceMs !== null ? `, all announced after ${(l.holding.announceMs / 1000).toFixed(0)} s, idle ${IDLE_MS * 2 / 1000} s` : ''}`, l.holding)
  ]
}

export function storageReport (f: StorageFigures): string {
  const r = f.replication
  const m = f.manyCores
  const fetch = f.fetchAfterWriterExit
  const row = (label: string, t: TransferFigures): string =>
    `${label.padEnd(48)}${t.mibPerS.toFixed(1).padStart(7)}${`${t.cpuPercent}%`.padStart(7)}${`${t.maxRssMiB.toFixed(0)} MiB`.padStart(10)}    ${t.allMibPerS.join(' ')}`
  const mib = (n: number | null): string => (n === null ? '' : `${n.toFixed(1)} MiB`).padStart(10)
  const memRow = (label: string, rss: number | null, hwm: number): string => `${label.padEnd(56)}${mib(rss)}${mib(hwm)}`
  const parts = (b: RssPart[]): string => b.filter((p) => p.mib >= 0.5).map((p) => `${p.part} ${p.mib.toFixed(1)}`).join(', ')
  const lines = [
    '',
    `storage peer: ${f.coreMiB} MiB encrypted core in ${f.blockBytes / 1024} KiB blocks, medians of ${f.runs} runs; ` +
      `load ${f.loadavg.before.join(' ')} → ${f.loadavg.after.join(' ')}`,
    `command: ${f.command}`,
    `writer: Node.js, wrote the core in ${(f.writer.writeMs / 1000).toFixed(1)} s; each run sends it to a fresh receiver on the same testnet`,
    '',
    'writer → receiver                                 MiB/s    CPU   max RSS    every run (MiB/s)',
    row('roost node (Bare)', r.node),
    row('plain corestore (Bare)', r.plain),
    row('plain corestore, Pi-class settings (Bare)', r.plainRoostStorage),
    `roost node / plain corestore: ${r.nodeToPlain.toFixed(2)}; Pi-class settings (4 MiB memtables, as the node has on boards ` +
      `below a 256 MiB memory budget) / plain: ${(r.plainRoostStorage.mibPerS / r.plain.mibPerS).toFixed(2)}. CPU in % of one core, while receiving`,
    '',
    `fetch ${fetch.mib} MiB after the writer's process exited (reader: Node.js, timed from an open connection)`,
    `  from the roost node:       ${(fetch.fromNode.ms / 1000).toFixed(2)} s, ${fetch.fromNode.mibPerS.toFixed(1)} MiB/s (connect ${fetch.fromNode.connectMs} ms)`,
    `  from the plain reader:     ${(fetch.fromPlain.ms / 1000).toFixed(2)} s, ${fetch.fromPlain.mibPerS.toFixed(1)} MiB/s (connect ${fetch.fromPlain.connectMs} ms)`,
    '',
    `${m.cores.toLocaleString('en-US')} small encrypted cores kept by one device, ${m.keepsInFlight} keeps in flight, each closed once held: ` +
      `${(m.keptMs / 1000).toFixed(1)} s`,
    `  node status while keeping: openCores up to ${m.peakOpenCores}, syncing up to ${m.peakSyncing} (maxOpenCores ${m.maxOpenCores})`,
    `${'  node memory'.padEnd(56)}${'VmRSS'.padStart(10)}${'VmHWM'.padStart(10)}`,
    memRow(`  storage role, no cores yet, idle ${IDLE_MS / 1000} s`, m.empty.rssMiB, m.empty.maxRssMiB),
    memRow('  while keeping', null, m.keepingMaxRssMiB),
    memRow(`  device gone, ${m.idle.openCores} cores open after ${(m.idle.settleMs / 1000).toFixed(1)} s, idle ${IDLE_MS / 1000} s`, m.idle.rssMiB, m.idle.maxRssMiB),
    `    ${parts(m.idle.breakdown)} (MiB)`,
    memRow(`  restarted, all announced after ${(m.restarted.announceMs / 1000).toFixed(0)} s, idle ${IDLE_MS * 2 / 1000} s`, m.restarted.rssMiB, m.restarted.maxRssMiB),
    `    anonymous ${m.restarted.anonMiB.toFixed(1)} MiB, file-backed ${m.restarted.fileMiB.toFixed(1)} MiB: ${parts(m.restarted.breakdown)} (MiB)`,
    ...limitedReport(f.limited),
    '',
    `aim from the issue, for context only: a node holding 1,000 cores idle ≤ ${f.aims.idleRssMiB} MiB RSS`,
    ''
  ]
  return lines.join('\n')
}
