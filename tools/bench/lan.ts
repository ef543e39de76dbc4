// The LAN ingest section of `roost bench`: how many reading datagrams a second the Bare
// node verifies, appends to its encrypted feed and acknowledges, driven by one stand-in
// agent on loopback that keeps a window of readings in flight and sends the next as
// acknowledgements make room (the Lua agent keeps 32; the bench keeps more, to find
// the node's limit, not the agent's). Every node, testnet and folder started here is
// stopped or removed, whatever happens.
import path from 'node:path'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { deviceAt, type Device } from '../client/device.ts'
import { nodeStatus } from '../client/status.ts'
import { loadBoard, type Board } from '../config/boards.ts'
import { HarnessError } from '../harness/errors.ts'
import { freeUdpPort, newAgentKeys, openLanAgent, streamReadings } from '../harness/lan-agent.ts'
import { buildLocal, launchNode } from '../harness/local-node.ts'
import { until, withDeadline } from '../harness/wait.ts'
import { cpuMs, loadavg, median, round, vmHwmKb } from './measure.ts'
import { checkCounts, closers, progressToStderr, workAndTestnet, type Closers, type Progress } from './section.ts'

export interface LanFigures {
  readings: number
  window: number
  runs: number
  loadavg: { before: number[], after: number[] }
  // First reading sent to last acknowledgement; medians over the runs.
  msgPerS: number
  allMsgPerS: number[]
  // The node's CPU time over the stream, in % of one core, and its peak memory.
  cpuPercent: number
  maxRssMiB: number
  // Readings sent more than once (their acknowledgement was late or lost), over all runs.
  resent: number
  aims: typeof AIMS
}

export interface LanOptions {
  readings: number
  // Readings in flight at most.
  window: number
  runs: number
  progress?: Progress
}

// From the issue, printed for context and never asserted.
export const AIMS = { msgPerS: 10_000 } as const

// An acknowledgement later than this sends the reading again.
const RETRY_MS = 1000
const RUN_DEADLINE_MS = 120_000

interface LanBench { work: string, board: Board, artifactDir: string, bootstrap: string[], client: Device, clientKey: string }

interface RunSample { msgPerS: number, cpuPercent: number, maxRssKb: number, resent: number }

export async function benchLan (opts: LanOptions): Promise<LanFigures> {
  checkCounts('lan', { readings: opts.readings, window: opts.window, runs: opts.runs })
  const progress = opts.progress ?? progressToStderr
  const before = loadavg()
  const opened = closers()
  try {
    const { work, testnet } = await workAndTestnet(opened, 'lan')
    progress(`lan: building the node (${opts.readings} readings per run, ${opts.window} in flight, runs: ${opts.runs})`)
    const board = loadBoard('x86-64-mini-pc')
    const { outDir } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
    const identity = path.join(work, 'client')
    const bench: LanBench = {
      work, board, artifactDir: outDir, bootstrap: testnet.bootstrap,
      client: deviceAt(identity, { bootstrap: testnet.bootstrap }),
      clientKey: encodeKey(loadOrCreateIdentity(identity).keyPair.publicKey)
    }
    const samples: RunSample[] = []
    for (let run = 0; run < opts.runs; run++) {
      progress(`lan run ${run + 1}/${opts.runs}`)
      const run_ = closers()
      try {
        samples.push(await lanRun(bench, opts, `run-${run}`, run_))
      } finally {
        await run_.closeAll()
      }
    }
    return {
      readings: opts.readings,
      window: opts.window,
      runs: opts.runs,
      loadavg: { before, after: loadavg() },
      msgPerS: Math.round(median(samples.map((s) => s.msgPerS))),
      allMsgPerS: samples.map((s) => Math.round(s.msgPerS)),
      cpuPercent: median(samples.map((s) => s.cpuPercent)),
      maxRssMiB: round(median(samples.map((s) => s.maxRssKb)) / 1024),
      resent: samples.reduce((sum, s) => sum + s.resent, 0),
      aims: AIMS
    }
  } finally {
    await opened.closeAll()
  }
}

async function lanRun (bench: LanBench, opts: LanOptions, name: string, opened: Closers): Promise<RunSample> {
  const keys = newAgentKeys()
  const port = await freeUdpPort()
  const node = launchNode({
    artifactDir: bench.artifactDir, runtime: 'bare', board: bench.board, work: bench.work, name,
    config: {
      bootstrap: bench.bootstrap,
      roles: ['lan-ingest'],
      trustedKeys: [bench.clientKey],
      lanIngest: { port, host: '127.0.0.1', devices: [{ name: 'bench', id: keys.id, key: keys.key, keyFile: null, rules: [{ filter: 'bench/#', feed: 'bench', decoder: 'number' }] }] }
    }
  })
  opened.add(async () => { await node.stop(3000) })
  const nodeKey = String((await node.waitFor('ready', 30_000)).publicKey)
  await node.waitFor('lan-ingest-listening', 10_000)
  const agent = await openLanAgent({ keys, port, retryMs: RETRY_MS })
  opened.add(() => agent.close())
  const pid = node.child.pid!
  const cpuBefore = cpuMs(pid)
  const started = performance.now()
  await withDeadline(`${opts.readings} readings acknowledged`, (async () => {
    await streamReadings(agent, {
      first: 1,
      window: opts.window,
      reading: (sequence) => ({ sequence, topic: 'bench/meter', payload: Buffer.from(String(sequence)) }),
      more: (sequence) => sequence <= opts.readings
    })
    await until('the last acknowledgements', () => agent.inFlight() === 0 ? true : undefined, RUN_DEADLINE_MS, 5)
  })(), RUN_DEADLINE_MS, () => node.lastLog())
  const seconds = (performance.now() - started) / 1000
  const cpuPercent = round((cpuMs(pid) - cpuBefore) / 10 / seconds)
  const maxRssKb = vmHwmKb(pid)
  const status = (await nodeStatus(bench.client, nodeKey)).status
  const stored = status.lanIngest?.stored ?? 0
  if (stored !== opts.readings || status.feeds.find((f) => f.name === 'bench')?.length !== opts.readings) {
    throw HarnessError.CHECK_FAILED(`lan bench: ${opts.readings} readings acknowledged, but the node stored ${stored}: ${JSON.stringify(status.lanIngest)}`)
  }
  return { msgPerS: opts.readings / seconds, cpuPercent, maxRssKb, resent: agent.resentCount() }
}
