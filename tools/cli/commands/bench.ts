// Figures for the issue notes, measured side by side in one run on this machine:
// build time, bundle and artifact sizes per host, start→ready time on a loopback
// testnet, and max RSS of an idle node on Bare and on Node.js; then the sensor
// bridge's ingest rate, reader latency and memory (tools/bench-bridge.ts); then the
// storage peer's replication rate against plain corestore, a fetch after the writer
// has gone, and its memory with 1,000 cores (tools/bench-storage.ts).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import createTestnet from 'hyperdht/testnet.js'
import { buildArtifact, defaultConfig } from '../../../targets/artifact.ts'
import type { Runtime } from '../../../targets/bundle.ts'
import { defineCommand, intFlag, usageError } from '../args.ts'
import { benchBridge, type BridgeFigures } from '../../bench/bridge.ts'
import { benchStorage, storageReport } from '../../bench/storage.ts'
import { loadBoard } from '../../config/boards.ts'
import { nodeCommand, writeConfig } from '../../harness/local-node.ts'
import { median, round, vmHwmKb } from '../../bench/measure.ts'
import { watchNode } from '../../harness/node-process.ts'

const spec = {
  name: 'bench',
  summary: 'Measure the node\'s size, speed and memory against its baselines, side by side in one run.',
  details: 'Build time, bundle and artifact sizes, start-to-ready time and idle memory of the node on Bare\n' +
    'and on Node.js; the sensor bridge\'s ingest rate, reader latency and memory against Mosquitto;\n' +
    'the storage peer\'s replication rate against plain corestore and its memory with 1,000 cores.',
  usage: 'roost bench [--only node|bridge|storage] [--runs N] [--bridge-messages N] [--storage-mib N] [--storage-cores N] [--storage-runs N] [--json]',
  flags: {
    runs: { type: 'string', value: 'N', help: 'repetitions per measurement; medians are reported (default: 5)' },
    'bridge-messages': { type: 'string', value: 'N', help: 'readings per sensor-bridge ingest stream (default: 20000)' },
    only: { type: 'string', multiple: true, value: 'SECTION', help: 'measure only this section: node, bridge or storage (default: all)' },
    'storage-mib': { type: 'string', value: 'N', help: 'size of the core replicated to the storage peer, in MiB (default: 256)' },
    'storage-cores': { type: 'string', value: 'N', help: 'small cores the storage peer is asked to keep (default: 1000)' },
    'storage-runs': { type: 'string', value: 'N', help: 'replication runs per receiver; medians are reported (default: 3)' },
    json: { type: 'boolean', help: 'print the figures as JSON' }
  }
} as const

const IDLE_MS = 2000
const SECTIONS = ['node', 'bridge', 'storage']

export const bench = defineCommand(spec, async (flags) => {
  const runs = intFlag('bench', 'runs', flags.runs, 5, 1, 50)
  const bridgeMessages = intFlag('bench', 'bridge-messages', flags['bridge-messages'], 20_000, 100, 10_000_000)
  const storage = {
    coreMiB: intFlag('bench', 'storage-mib', flags['storage-mib'], 256, 1, 65_536),
    cores: intFlag('bench', 'storage-cores', flags['storage-cores'], 1000, 1, 100_000),
    runs: intFlag('bench', 'storage-runs', flags['storage-runs'], 3, 1, 50),
    command: `roost ${process.argv.slice(2).join(' ')}`
  }
  const only: readonly string[] = flags.only ?? []
  const unknown = only.find((s) => !SECTIONS.includes(s))
  if (unknown !== undefined) throw usageError('bench', `--only ${unknown}: expected one of ${SECTIONS.join(', ')}`)
  const wanted = (section: string): boolean => only.length === 0 || only.includes(section)
  const node = wanted('node') ? await nodeFigures(runs) : null
  const bridge = wanted('bridge') ? await benchBridge({ messages: bridgeMessages, runs }) : null
  const storagePeer = wanted('storage') ? await benchStorage(storage) : null
  if (flags.json === true) {
    const figures = { ...node, ...(bridge ? { bridge } : {}), ...(storagePeer ? { storage: storagePeer } : {}) }
    process.stdout.write(JSON.stringify(figures, null, 2) + '\n')
  } else {
    process.stdout.write((node ? report(node) : '') + (bridge ? bridgeReport(bridge) : '') + (storagePeer ? storageReport(storagePeer) : ''))
  }
  return 0
})

async function nodeFigures (runs: number) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-bench-'))
  const testnet = await createTestnet(3, { host: '127.0.0.1' })
  try {
    const x64 = loadBoard('x86-64-mini-pc')
    const arm64 = loadBoard('raspberry-pi-4b')
    const buildMs: number[] = []
    for (let i = 0; i < runs; i++) {
      const started = performance.now()
      await buildArtifact({ board: x64, runtime: 'bare', outDir: path.join(work, 'build-timing') })
      buildMs.push(performance.now() - started)
    }
    const artifacts = {
      'linux-x64 bare': await buildArtifact({ board: x64, runtime: 'bare', outDir: path.join(work, 'x64-bare') }),
      'linux-x64 node': await buildArtifact({ board: x64, runtime: 'node', outDir: path.join(work, 'x64-node') }),
      'linux-arm64 bare': await buildArtifact({ board: arm64, runtime: 'bare', outDir: path.join(work, 'arm64-bare') }),
      'linux-arm64 node': await buildArtifact({ board: arm64, runtime: 'node', outDir: path.join(work, 'arm64-node') })
    }
    const sizes = Object.fromEntries(Object.entries(artifacts).map(([name, { manifest }]) => [name, {
      bundleBytes: manifest.bundle.bytes,
      artifactBytes: manifest.files.reduce((sum, f) => sum + f.size, 0),
      runtimeIncluded: manifest.runtime.included
    }]))

    const bootstrap = testnet.bootstrap.map((b) => `${b.host}:${b.port}`)
    const runtimes: Record<Runtime, { readyMs: number[], maxRssKb: number[] }> = {
      bare: { readyMs: [], maxRssKb: [] },
      node: { readyMs: [], maxRssKb: [] }
    }
    // Alternate the runtimes so drift in machine load hits both alike.
    for (let i = 0; i < runs; i++) {
      for (const runtime of ['bare', 'node'] as const) {
        const dir = artifacts[`linux-x64 ${runtime}`].outDir
        const sample = await idleNode(dir, runtime, path.join(work, `${runtime}-${i}`), bootstrap, x64)
        runtimes[runtime].readyMs.push(sample.readyMs)
        runtimes[runtime].maxRssKb.push(sample.maxRssKb)
      }
    }
    const baseline = { bare: await emptyRuntimeRss('bare', artifacts['linux-x64 bare'].outDir), node: await emptyRuntimeRss('node', '') }

    return {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadavg: os.loadavg().map((l) => Number(l.toFixed(2))), node: process.version },
      runs,
      buildMs: { median: median(buildMs), all: buildMs.map(round) },
      sizes,
      readyMs: { bare: median(runtimes.bare.readyMs), node: median(runtimes.node.readyMs) },
      idleMaxRssMiB: { bare: median(runtimes.bare.maxRssKb) / 1024, node: median(runtimes.node.maxRssKb) / 1024 },
      emptyRuntimeMaxRssMiB: { bare: baseline.bare / 1024, node: baseline.node / 1024 }
    }
  } finally {
    await testnet.destroy()
    fs.rmSync(work, { recursive: true, force: true })
  }
}

async function idleNode (artifactDir: string, runtime: Runtime, storage: string, bootstrap: string[], board: ReturnType<typeof loadBoard>): Promise<{ readyMs: number, maxRssKb: number }> {
  const configFile = `${storage}.json`
  writeConfig(configFile, { ...defaultConfig(board), dataDir: storage, bootstrap, roles: [] })
  const { command, args } = nodeCommand(artifactDir, runtime, configFile)
  const started = performance.now()
  const node = watchNode(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }))
  try {
    await node.waitFor('ready', 30_000)
    const readyMs = performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
    return { readyMs, maxRssKb: vmHwmKb(node.child.pid!) }
  } finally {
    await node.stop()
  }
}

async function emptyRuntimeRss (runtime: Runtime, artifactDir: string): Promise<number> {
  const command = runtime === 'bare' ? path.join(artifactDir, 'bin', 'bare') : process.execPath
  const child = spawn(command, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
  const kb = vmHwmKb(child.pid!)
  child.kill('SIGKILL')
  return kb
}

function report (f: {
  machine: { cpus: number, model: string, loadavg: number[], node: string }
  runs: number
  buildMs: { median: number }
  sizes: Record<string, { bundleBytes: number, artifactBytes: number, runtimeIncluded: boolean }>
  readyMs: { bare: number, node: number }
  idleMaxRssMiB: { bare: number, node: number }
  emptyRuntimeMaxRssMiB: { bare: number, node: number }
}): string {
  const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(2)} MiB`
  const lines = [
    `machine: ${f.machine.cpus} × ${f.machine.model}, load ${f.machine.loadavg.join(' ')}, ${f.machine.node}; medians of ${f.runs} runs`,
    '',
    `build x86-64-mini-pc (bare):  ${f.buildMs.median.toFixed(0)} ms`,
    '',
    'artifact            bundle (minified JS)   whole artifact   runtime included',
    ...Object.entries(f.sizes).map(([name, s]) =>
      `${name.padEnd(20)}${mb(s.bundleBytes).padStart(20)}${mb(s.artifactBytes).padStart(17)}   ${s.runtimeIncluded ? 'yes' : 'no'}`),
    '',
    '                        Bare        Node.js     Bare/Node',
    `start → ready (ms)  ${f.readyMs.bare.toFixed(0).padStart(7)}    ${f.readyMs.node.toFixed(0).padStart(9)}    ${(f.readyMs.bare / f.readyMs.node).toFixed(2)}`,
    `idle node max RSS   ${f.idleMaxRssMiB.bare.toFixed(1).padStart(6)} MiB ${f.idleMaxRssMiB.node.toFixed(1).padStart(8)} MiB ${(f.idleMaxRssMiB.bare / f.idleMaxRssMiB.node).toFixed(2)}`,
    `empty runtime RSS   ${f.emptyRuntimeMaxRssMiB.bare.toFixed(1).padStart(6)} MiB ${f.emptyRuntimeMaxRssMiB.node.toFixed(1).padStart(8)} MiB ${(f.emptyRuntimeMaxRssMiB.bare / f.emptyRuntimeMaxRssMiB.node).toFixed(2)}`,
    '',
    'targets: bundle ≤ 1.5 MB; idle node ≤ 48 MB max RSS on Bare (1 MiB = 1,048,576 bytes)',
    ''
  ]
  return lines.join('\n')
}

function bridgeReport (b: BridgeFigures): string {
  const count = (n: number): string => n.toLocaleString('en-US')
  const rate = (n: number): string => count(Math.round(n)).padStart(11)
  const ingestRow = (label: string, i: BridgeFigures['ingest']['qos0'], aim: number): string =>
    `${label.padEnd(8)}${rate(i.node.msgPerS)}${rate(i.mosquittoSub.msgPerS)}${i.nodeToMosquittoSub.toFixed(2).padStart(10)}` +
    `${`${count(i.node.arrived)}/${count(b.messages)}`.padStart(15)}${`${count(i.mosquittoSub.arrived)}/${count(b.messages)}`.padStart(15)}` +
    `${rate(i.node.publisherMsgPerS)}${`${i.node.cpuPercent}%`.padStart(7)}${`${i.node.brokerCpuPercent}%`.padStart(7)}   ≥ ${count(aim)}`
  const l = b.latency
  const lines = [
    '',
    `sensor bridge: ${count(b.messages)} readings per stream, medians of ${b.runs} runs; mosquitto ${b.broker.mosquitto} (${b.broker.settings.join(', ')}); ` +
      `load ${b.loadavg.before.join(' ')} → ${b.loadavg.after.join(' ')}`,
    '',
    'ingest    node (Bare)  mosquitto_sub  node/sub   arrived: node  mosquitto_sub  publisher   node  broker   aim',
    'msg/s          msg/s          msg/s                                                msg/s    CPU     CPU',
    ingestRow('QoS 0', b.ingest.qos0, b.aims.qos0MsgPerS),
    ingestRow('QoS 1', b.ingest.qos1, b.aims.qos1MsgPerS),
    ...(['qos0', 'qos1'] as const).flatMap((qos) => (['node', 'mosquittoSub'] as const).flatMap((who) =>
      b.ingest[qos][who].notes.map((note) => `  ${qos === 'qos0' ? 'QoS 0' : 'QoS 1'} ${who === 'node' ? 'node' : 'mosquitto_sub'}, ${note}`))),
    '',
    `publish → remote reader (${l.readings} QoS 1 readings at ${l.ratePerS}/s per run, all runs pooled): ` +
      `p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms (aim p99 ≤ ${b.aims.p99Ms} ms)` + (l.missing > 0 ? `; ${l.missing} never read` : ''),
    `  of which publish → bridge received: p50 ${l.toBridgeP50Ms} ms, p99 ${l.toBridgeP99Ms} ms`,
    `bridge node max RSS: idle ${b.maxRssMiB.idle.toFixed(1)} MiB, QoS 1 stream ${b.maxRssMiB.qos1Stream.toFixed(1)} MiB, QoS 0 stream ${b.maxRssMiB.qos0Stream.toFixed(1)} MiB`,
    '',
    'aims are from the issue, for context only; "publisher" is how fast the publisher handed readings to the broker in the node\'s streams',
    ''
  ]
  return lines.join('\n')
}
