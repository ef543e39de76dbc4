// The NAT section of `roost bench`, in a simulated internet of network namespaces
// (harness/netlab.ts): for each pair of home NAT kinds, whether `roost ping` from one home
// reaches a Bare node in the other directly, through a roost relay on the public segment,
// or not at all, and how long connecting took (median of the runs); the throughput of
// one stream through the relay against the same pair's direct path, in the same run;
// and the relay node's memory while it relays a number of connections. Needs root (the
// namespaces); every namespace, process and folder started here goes, whatever happens.
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import HyperDHT from 'hyperdht'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { relayKeyPair } from '../../node/relay/relay-key.ts'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { loadBoard, type Board } from '../config/boards.ts'
import { HarnessError } from '../harness/errors.ts'
import { buildLocal, dieWithParent, launchNode } from '../harness/local-node.ts'
import { createLab, whyNoNetLab, type NatKind, type NetLab } from '../harness/netlab.ts'
import { watchNode, type NodeProcess } from '../harness/node-process.ts'
import { startPublicDht } from '../harness/public-dht.ts'
import { runRoost } from '../harness/roost-cli.ts'
import { sleep } from '../harness/wait.ts'
import { loadavg, median, round, vmHwmKb, vmRssKb } from './measure.ts'
import { checkCounts, closers, progressToStderr, type Progress } from './section.ts'

// The home NAT kinds the matrix pairs, each against each.
export const MATRIX_KINDS = ['cone', 'port-restricted', 'symmetric'] as const satisfies readonly NatKind[]
export type MatrixKind = typeof MATRIX_KINDS[number]

export type Outcome = 'direct' | 'relayed' | 'failed'

export interface Cell {
  from: MatrixKind
  to: MatrixKind
  // How many runs connected directly, through the relay, or not at all.
  direct: number
  relayed: number
  failed: number
  // Start of `roost ping` to its connection, over the runs that connected.
  medianMs: number | null
  allMs: number[]
  // The codes the failed runs ended with.
  codes: string[]
}

export interface NatFigures {
  runs: number
  kinds: MatrixKind[]
  loadavg: { before: number[], after: number[] }
  withoutRelay: Cell[]
  withRelay: Cell[]
  // One stream between two port-restricted homes (direct) and one between two symmetric
  // homes (through the relay), alternately in the same run, over the same links.
  throughput: { mib: number, directMibPerS: number, relayedMibPerS: number, relayedToDirect: number, allDirect: number[], allRelayed: number[] }
  // The relay node's memory, idle and while it relays `connections` connections (each
  // holds a relay session on either side) between two symmetric homes.
  relayMemory: { connections: number, sessions: number, idleRssMiB: number, rssMiB: number, maxRssMiB: number }
  aims: typeof AIMS
}

export interface NatOptions {
  runs: number
  // MiB per throughput run.
  mib: number
  // Relayed connections held for the memory figure.
  connections: number
  // The kinds the matrix pairs (default all three).
  kinds?: MatrixKind[]
  progress?: Progress
}

// From the issue, printed for context and never asserted.
export const AIMS = { relayedToDirect: 0.8 } as const

// hyperdht punches through a port-randomising NAT at most once every 20 s per DHT node:
// a cell with one waits that long between its runs (its node is its own).
const RANDOM_PUNCH_INTERVAL_MS = 21_000
const PING_TIMEOUT_MS = 60_000
const SHORT: Record<MatrixKind, string> = { cone: 'cone', 'port-restricted': 'prc', symmetric: 'sym' }
const PEER_MAIN = path.join(REPO_ROOT, 'tools', 'bench', 'nat-peer-main.ts')

export function whyNoNatBench (): string | null {
  return whyNoNetLab()
}

// The key pairs of the peer programs (nat-peer-main.ts), so the relay can trust them.
interface Seeds { sink: string, sink2: string, source: string }

function newSeed (): string {
  return crypto.randomBytes(32).toString('hex')
}

interface NatBench {
  lab: NetLab
  bootstrap: string
  work: string
  tmpDir: string
  board: Board
  artifactDir: string
  relayKey: string
  // ROOST_HOME of the CLI in each kind's near home.
  clientHome: (kind: MatrixKind) => string
}

export async function benchNat (opts: NatOptions): Promise<NatFigures> {
  checkCounts('nat', { runs: opts.runs, mib: opts.mib, connections: opts.connections })
  const why = whyNoNatBench()
  if (why !== null) throw HarnessError.BAD_OPTION('nat', `${why}; run the bench as root`)
  const kinds = opts.kinds ?? [...MATRIX_KINDS]
  const progress = opts.progress ?? progressToStderr
  const before = loadavg()
  const opened = closers()
  try {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-bench-nat-'))
    opened.add(() => fs.rmSync(work, { recursive: true, force: true }))
    progress(`nat: building the node and the lab (${kinds.join(', ')}; runs: ${opts.runs})`)
    const board = loadBoard('x86-64-mini-pc')
    const { outDir } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
    // Each kind has a near home (clients) and a far one (nodes). The throughput's direct
    // stream goes between the port-restricted homes, its relayed one between the
    // symmetric homes, which have no other way (hyperdht punches through consistent NATs
    // even when told not to, as the far side's probes open the path); the memory peers
    // use the symmetric homes too.
    const homes = [...new Set<MatrixKind>([...kinds, 'port-restricted', 'symmetric'])].flatMap((kind) => [
      { name: `${SHORT[kind]}a`, nat: kind }, { name: `${SHORT[kind]}b`, nat: kind }
    ])
    const lab = createLab(homes)
    opened.add(() => lab.destroy())
    // The programs run with tsx, which keeps a cache in TMPDIR: this section's own.
    const tmpDir = path.join(work, 'tmp')
    fs.mkdirSync(tmpDir)
    const dht = await startPublicDht(lab, { tmpDir })
    opened.add(() => dht.stop())

    const clientHome = (kind: MatrixKind): string => path.join(work, `client-${SHORT[kind]}`)
    const cellName = (from: MatrixKind, to: MatrixKind): string => `${SHORT[from]}-${SHORT[to]}`
    const cells = kinds.flatMap((from) => kinds.map((to) => ({ from, to })))
    // Every key the relay serves is known before anything starts.
    const seeds: Seeds = { sink: newSeed(), sink2: newSeed(), source: newSeed() }
    const seedKey = (seed: string): string => encodeKey(HyperDHT.keyPair(Buffer.from(seed, 'hex')).publicKey)
    const nodeKey = (name: string): string => encodeKey(loadOrCreateIdentity(path.join(work, name)).keyPair.publicKey)
    const relayKey = encodeKey(relayKeyPair(loadOrCreateIdentity(path.join(work, 'relay')).keyPair).publicKey)
    const relay = launchNode({
      artifactDir: outDir, runtime: 'bare', board, work, name: 'relay', inNamespace: lab.placeIn('public'),
      config: {
        bootstrap: dht.bootstrap,
        host: lab.serverAddresses[0],
        roles: ['relay'],
        trustedKeys: [...new Set([...kinds, 'symmetric' as const])].map((kind) => encodeKey(loadOrCreateIdentity(path.join(clientHome(kind), 'client')).keyPair.publicKey)),
        // Limits out of the way: this measures the relay, not its guard.
        relay: { sessionsPerPeer: 10_000, bytesPerSecondPerPeer: 1024 * 1024 * 1024, keys: [...cells.map((c) => nodeKey(cellName(c.from, c.to))), ...Object.values(seeds).map(seedKey)] }
      }
    })
    opened.add(async () => { await relay.stop(3000) })
    await relay.waitFor('relay-listening', 30_000)
    const bench: NatBench = { lab, bootstrap: dht.bootstrap[0], work, tmpDir, board, artifactDir: outDir, relayKey, clientHome }

    progress(`nat: relay memory with ${opts.connections} relayed connections`)
    const relayMemory = await holdConnections(bench, relay, seeds, opts.connections)
    progress(`nat: throughput, ${opts.mib} MiB per run, direct and through the relay`)
    const throughput = await streams(bench, seeds, opts, progress)
    const withoutRelay = await matrix(bench, cells, cellName, false, opts.runs, progress)
    const withRelay = await matrix(bench, cells, cellName, true, opts.runs, progress)
    return { runs: opts.runs, kinds, loadavg: { before, after: loadavg() }, withoutRelay, withRelay, throughput, relayMemory, aims: AIMS }
  } finally {
    await opened.closeAll()
  }
}

// Every cell's node in its far home (their own node each, see RANDOM_PUNCH_INTERVAL_MS),
// then `roost ping` from the near home, run after run.
async function matrix (bench: NatBench, cells: Array<{ from: MatrixKind, to: MatrixKind }>, cellName: (from: MatrixKind, to: MatrixKind) => string,
  relayed: boolean, runs: number, progress: Progress): Promise<Cell[]> {
  const opened = closers()
  try {
    progress(`nat: ${cells.length} nodes ${relayed ? 'with' : 'without'} a relay`)
    const nodes = await Promise.all(cells.map(async ({ from, to }) => {
      const name = cellName(from, to)
      const node = launchNode({
        artifactDir: bench.artifactDir, runtime: 'bare', board: bench.board, work: bench.work, name, inNamespace: bench.lab.placeIn(`${SHORT[to]}b`),
        config: { bootstrap: [bench.bootstrap], roles: [], relays: relayed ? [bench.relayKey] : [] }
      })
      opened.add(async () => { await node.stop(3000) })
      return String((await node.waitFor('ready', 60_000)).publicKey)
    }))
    const samples: Array<Array<{ outcome: Outcome, ms: number | null, code: string | null }>> = cells.map(() => [])
    const lastPing = cells.map(() => 0)
    for (let run = 0; run < runs; run++) {
      progress(`nat matrix ${relayed ? 'with' : 'without'} a relay, run ${run + 1}/${runs}`)
      for (const [i, { from, to }] of cells.entries()) {
        if (from === 'symmetric' || to === 'symmetric') await sleep(Math.max(0, lastPing[i] + RANDOM_PUNCH_INTERVAL_MS - Date.now()))
        lastPing[i] = Date.now()
        const r = await runRoost(['ping', nodes[i], '--count', '1', '--bootstrap', bench.bootstrap, ...(relayed ? ['--relay', bench.relayKey] : [])],
          { home: bench.clientHome(from), tmpDir: bench.tmpDir, timeoutMs: PING_TIMEOUT_MS, inNamespace: bench.lab.placeIn(`${SHORT[from]}a`) })
        const connected = /^connected to \S+ in ([\d.]+) ms, (direct|relayed)/m.exec(r.stdout)
        samples[i].push(connected
          ? { outcome: connected[2] as Outcome, ms: Number(connected[1]), code: null }
          : { outcome: 'failed', ms: null, code: /^([A-Z][A-Z_]+): /m.exec(r.stderr)?.[1] ?? (r.code === null ? 'DEADLINE' : 'ERROR') })
      }
    }
    return cells.map(({ from, to }, i) => {
      const s = samples[i]
      const ms = s.flatMap((x) => x.ms === null ? [] : [x.ms])
      return {
        from,
        to,
        direct: s.filter((x) => x.outcome === 'direct').length,
        relayed: s.filter((x) => x.outcome === 'relayed').length,
        failed: s.filter((x) => x.outcome === 'failed').length,
        medianMs: ms.length > 0 ? median(ms) : null,
        allMs: ms.map(round),
        codes: [...new Set(s.flatMap((x) => x.code === null ? [] : [x.code]))]
      }
    })
  } finally {
    await opened.closeAll()
  }
}

// A peer program (nat-peer-main.ts) in a home, its events watched.
function peer (bench: NatBench, home: string, args: string[]): NodeProcess {
  const inside = bench.lab.placeIn(home)(process.execPath, ['--import', 'tsx', PEER_MAIN, ...args])
  const { command, args: argv } = dieWithParent(inside.command, inside.args)
  return watchNode(spawn(command, argv, { cwd: REPO_ROOT, env: { ...process.env, TMPDIR: bench.tmpDir }, stdio: ['ignore', 'pipe', 'pipe'] }))
}

async function streams (bench: NatBench, seeds: Seeds, opts: NatOptions, progress: Progress): Promise<NatFigures['throughput']> {
  const opened = closers()
  try {
    const sinks = [peer(bench, 'prcb', ['serve', seeds.sink, bench.bootstrap]), peer(bench, 'symb', ['serve', seeds.sink2, bench.bootstrap])]
    for (const sink of sinks) opened.add(async () => { await sink.stop(3000) })
    const [directKey, relayedKey] = await Promise.all(sinks.map(async (sink) => String((await sink.waitFor('serving', 30_000)).key)))
    const direct: number[] = []
    const relayed: number[] = []
    for (let run = 0; run < opts.runs; run++) {
      progress(`nat throughput run ${run + 1}/${opts.runs}`)
      for (const through of [false, true]) {
        const source = through
          ? peer(bench, 'syma', ['send', seeds.source, bench.bootstrap, relayedKey, String(opts.mib), '--relay', bench.relayKey])
          : peer(bench, 'prca', ['send', seeds.source, bench.bootstrap, directKey, String(opts.mib)])
        opened.add(async () => { await source.stop(3000) })
        const sent = await source.waitFor('sent', 120_000)
        const path = through ? 'relayed' : 'direct'
        if (sent.path !== path || sent.received !== sent.bytes || sent.stillRelayed !== through) {
          throw HarnessError.CHECK_FAILED(`nat throughput: expected ${opts.mib} MiB ${path}, got ${JSON.stringify(sent)}`)
        }
        ;(through ? relayed : direct).push(Number(sent.mibPerS))
        await source.exited(5000)
      }
    }
    const directMibPerS = median(direct)
    const relayedMibPerS = median(relayed)
    return {
      mib: opts.mib,
      directMibPerS,
      relayedMibPerS,
      relayedToDirect: Math.round(relayedMibPerS / directMibPerS * 100) / 100,
      allDirect: direct.map(round),
      allRelayed: relayed.map(round)
    }
  } finally {
    await opened.closeAll()
  }
}

async function holdConnections (bench: NatBench, relay: NodeProcess, seeds: Seeds, connections: number): Promise<NatFigures['relayMemory']> {
  const opened = closers()
  try {
    const pid = relay.child.pid!
    await sleep(2000)
    const idleRssMiB = round(vmRssKb(pid) / 1024)
    const sink = peer(bench, 'symb', ['serve', seeds.sink2, bench.bootstrap])
    opened.add(async () => { await sink.stop(3000) })
    const key = String((await sink.waitFor('serving', 30_000)).key)
    const holder = peer(bench, 'syma', ['hold', seeds.source, bench.bootstrap, key, String(connections), '--relay', bench.relayKey])
    opened.add(async () => { await holder.stop(3000) })
    const held = await holder.waitFor('holding', 120_000)
    if (held.relayed !== connections) throw HarnessError.CHECK_FAILED(`nat: ${connections} connections held, ${String(held.relayed)} of them relayed`)
    await sleep(2000)
    const status = await runRoost(['status', '--peer', String((await relay.waitFor('ready')).publicKey), '--json', '--bootstrap', bench.bootstrap],
      { home: bench.clientHome('symmetric'), tmpDir: bench.tmpDir, timeoutMs: PING_TIMEOUT_MS, inNamespace: bench.lab.placeIn('syma') })
    const counters = (JSON.parse(status.stdout || '{}') as { relay?: { sessions?: number } }).relay
    if (counters?.sessions === undefined) throw HarnessError.CHECK_FAILED(`nat: no relay status: ${status.stderr}`)
    return { connections, sessions: counters.sessions, idleRssMiB, rssMiB: round(vmRssKb(pid) / 1024), maxRssMiB: round(vmHwmKb(pid) / 1024) }
  } finally {
    await opened.closeAll()
  }
}
