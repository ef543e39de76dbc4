// The node section of `roost bench`, measured side by side in one run on this machine:
// build time, bundle and artifact sizes per host, start→ready time on a loopback
// testnet, and the peak RSS of an idle node on Bare and on Node.js next to that of an
// empty runtime. Every node, testnet and folder started here is stopped or removed,
// whatever happens.
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { buildArtifact, type ArtifactResult } from '../../targets/artifact.ts'
import type { Runtime } from '../../targets/bundle.ts'
import { loadBoard, type Board } from '../config/boards.ts'
import { launchNode, readyKey } from '../harness/local-node.ts'
import { stopProcess } from '../harness/mosquitto.ts'
import { sleep } from '../harness/wait.ts'
import { loadavg, median, round, vmHwmKb } from './measure.ts'
import { checkCounts, closers, progressToStderr, workAndTestnet, type Progress } from './section.ts'

// jsBytes: every bundle (the node's, the shared packages', the roles') and the addon packages' JS.
export interface ArtifactSize { bundleBytes: number, jsBytes: number, artifactBytes: number, runtimeIncluded: boolean }

export interface NodeFigures {
  machine: { cpus: number, model: string, loadavg: number[], node: string }
  runs: number
  // Building the x86-64 board's Bare artifact: the median and every run's.
  buildMs: { median: number, all: number[] }
  // Per artifact, e.g. "linux-arm64 bare".
  sizes: Record<string, ArtifactSize>
  // Medians over the runs.
  readyMs: { bare: number, node: number }
  idleMaxRssMiB: { bare: number, node: number }
  emptyRuntimeMaxRssMiB: { bare: number, node: number }
}

export interface NodeOptions {
  runs: number
  progress?: Progress
}

// How long a node (or an empty runtime) idles before its peak RSS is read.
const IDLE_MS = 2000

export async function benchNode (opts: NodeOptions): Promise<NodeFigures> {
  checkCounts('node', { runs: opts.runs })
  const progress = opts.progress ?? progressToStderr
  const { runs } = opts
  const opened = closers()
  try {
    const { work, testnet } = await workAndTestnet(opened, 'node')
    const x64 = loadBoard('x86-64-mini-pc')
    const arm64 = loadBoard('raspberry-pi-4b')

    const buildMs: number[] = []
    for (let i = 0; i < runs; i++) {
      progress(`node build run ${i + 1}/${runs}`)
      const started = performance.now()
      await buildArtifact({ board: x64, runtime: 'bare', outDir: path.join(work, 'build-timing') })
      buildMs.push(performance.now() - started)
    }
    progress('node artifacts for linux-x64 and linux-arm64, Bare and Node.js')
    const artifacts: Record<string, ArtifactResult> = {
      'linux-x64 bare': await buildArtifact({ board: x64, runtime: 'bare', outDir: path.join(work, 'x64-bare') }),
      'linux-x64 node': await buildArtifact({ board: x64, runtime: 'node', outDir: path.join(work, 'x64-node') }),
      'linux-arm64 bare': await buildArtifact({ board: arm64, runtime: 'bare', outDir: path.join(work, 'arm64-bare') }),
      // The board's default config names no mqtts:// broker, so the one above has no TLS.
      'linux-arm64 bare tls': await buildArtifact({ board: arm64, runtime: 'bare', outDir: path.join(work, 'arm64-bare-tls'), tls: true }),
      'linux-arm64 node': await buildArtifact({ board: arm64, runtime: 'node', outDir: path.join(work, 'arm64-node') })
    }

    const samples: Record<Runtime, { readyMs: number[], maxRssKb: number[] }> = {
      bare: { readyMs: [], maxRssKb: [] },
      node: { readyMs: [], maxRssKb: [] }
    }
    // Alternate the runtimes so drift in machine load hits both alike.
    for (let i = 0; i < runs; i++) {
      for (const runtime of ['bare', 'node'] as const) {
        progress(`node idle run ${i + 1}/${runs} (${runtime})`)
        const artifactDir = artifacts[`linux-x64 ${runtime}`].outDir
        const sample = await idleNode({ artifactDir, runtime, board: x64, work, name: `${runtime}-${i}`, bootstrap: testnet.bootstrap })
        samples[runtime].readyMs.push(sample.readyMs)
        samples[runtime].maxRssKb.push(sample.maxRssKb)
      }
    }
    const emptyKb: Record<Runtime, number> = { bare: 0, node: 0 }
    for (const runtime of ['bare', 'node'] as const) {
      progress(`node empty runtime (${runtime})`)
      emptyKb[runtime] = await emptyRuntimeRss(runtime, artifacts['linux-x64 bare'].outDir)
    }

    return {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadavg: loadavg(), node: process.version },
      runs,
      buildMs: { median: median(buildMs), all: buildMs.map(round) },
      sizes: Object.fromEntries(Object.entries(artifacts).map(([name, { manifest }]) => [name, {
        bundleBytes: manifest.bundle.bytes,
        jsBytes: manifest.files.filter((f) => /\.c?js$/.test(f.path)).reduce((sum, f) => sum + f.size, 0),
        artifactBytes: manifest.files.reduce((sum, f) => sum + f.size, 0),
        runtimeIncluded: manifest.runtime.included
      }])),
      readyMs: { bare: median(samples.bare.readyMs), node: median(samples.node.readyMs) },
      idleMaxRssMiB: { bare: median(samples.bare.maxRssKb) / 1024, node: median(samples.node.maxRssKb) / 1024 },
      emptyRuntimeMaxRssMiB: { bare: emptyKb.bare / 1024, node: emptyKb.node / 1024 }
    }
  } finally {
    await opened.closeAll()
  }
}

// A node with no roles from the artifact: how long until it logs ready, and its peak
// RSS once it has idled.
async function idleNode (opts: { artifactDir: string, runtime: Runtime, board: Board, work: string, name: string, bootstrap: string[] }): Promise<{ readyMs: number, maxRssKb: number }> {
  const started = performance.now()
  const { artifactDir, runtime, board, work, name, bootstrap } = opts
  const node = launchNode({ artifactDir, runtime, board, work, name, config: { bootstrap } })
  try {
    await readyKey(node)
    const readyMs = performance.now() - started
    await sleep(IDLE_MS)
    return { readyMs, maxRssKb: vmHwmKb(node.child.pid!) }
  } finally {
    await node.stop()
  }
}

// The runtime alone, running a script that only waits: what any program on it costs.
async function emptyRuntimeRss (runtime: Runtime, bareArtifactDir: string): Promise<number> {
  const command = runtime === 'bare' ? path.join(bareArtifactDir, 'bin', 'bare') : process.execPath
  const child = spawn(command, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
  try {
    await sleep(IDLE_MS)
    return vmHwmKb(child.pid!)
  } finally {
    await stopProcess(child)
  }
}
