// The sensor-bridge section of `roost bench`, measured side by side in one run on this
// machine: sustained ingest into an encrypted feed at QoS 0 and QoS 1 next to
// mosquitto_sub on the same broker with the same publisher, publish → remote reader
// latency over a loopback testnet, and the bridge node's peak memory, idle and while
// it takes a stream. All traffic stays on 127.0.0.1; every broker, node, subscriber,
// testnet and folder started here is stopped or removed, whatever happens.
import path from 'node:path'
import { loadOrCreateIdentity } from '../../../node/identity/identity.ts'
import { encodeKey } from '../../../node/identity/keys.ts'
import { deviceAt } from '../../client/device.ts'
import { loadBoard } from '../../config/boards.ts'
import { buildLocal } from '../../harness/local-node.ts'
import { mosquittoVersion } from '../../harness/mosquitto.ts'
import { loadavg, median, percentile, round } from '../measure.ts'
import { checkCounts, closers, progressToStderr, workAndTestnet, type Progress } from '../section.ts'
import { AIMS, ingestFigures, type BridgeFigures, type NodeStreamSample, type StreamSample } from './figures.ts'
import { mosquittoSubIngest, nodeIngest } from './ingest.ts'
import { readerLatency } from './latency.ts'
import { BROKER_SETTINGS, LATENCY_RATE_PER_S, LATENCY_READINGS, type BridgeBench } from './scenario.ts'

export type { BridgeFigures } from './figures.ts'

export interface BridgeOptions {
  // Readings per ingest stream.
  messages: number
  runs: number
  progress?: Progress
}

export async function benchBridge (opts: BridgeOptions): Promise<BridgeFigures> {
  checkCounts('bridge', { messages: opts.messages, runs: opts.runs })
  const progress = opts.progress ?? progressToStderr
  const { messages, runs } = opts
  const loadBefore = loadavg()
  const opened = closers()
  try {
    const { work, testnet } = await workAndTestnet(opened, 'bridge')
    progress(`bridge: building the node (${messages} readings per stream, runs: ${runs})`)
    const board = loadBoard('x86-64-mini-pc')
    const { outDir } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
    const { bootstrap } = testnet
    const identity = path.join(work, 'client')
    const clientKey = encodeKey(loadOrCreateIdentity(identity).keyPair.publicKey)
    const bench: BridgeBench = { work, board, artifactDir: outDir, bootstrap, client: deviceAt(identity, { bootstrap }), clientKey }

    const samples = {
      node: { 0: [] as NodeStreamSample[], 1: [] as NodeStreamSample[] },
      mosquittoSub: { 0: [] as StreamSample[], 1: [] as StreamSample[] }
    }
    const latencies: number[] = []
    const toBridge: number[] = []
    let missing = 0
    for (let run = 0; run < runs; run++) {
      for (const qos of [0, 1] as const) {
        // Alternate which goes first, so drift in machine load hits both alike.
        const order = run % 2 === 0 ? ['node', 'mosquittoSub'] as const : ['mosquittoSub', 'node'] as const
        for (const subscriber of order) {
          progress(`bridge qos${qos} run ${run + 1}/${runs} (${subscriber === 'node' ? 'node' : 'mosquitto_sub'})`)
          if (subscriber === 'node') samples.node[qos].push(await nodeIngest(bench, qos, messages, `node-qos${qos}-${run}`))
          else samples.mosquittoSub[qos].push(await mosquittoSubIngest(bench, qos, messages, `sub-qos${qos}-${run}`))
        }
      }
      progress(`bridge latency run ${run + 1}/${runs}`)
      const sample = await readerLatency(bench, `latency-${run}`)
      latencies.push(...sample.latencies)
      toBridge.push(...sample.toBridge)
      missing += LATENCY_READINGS - sample.latencies.length
    }

    const mib = (kb: number[]): number => round(median(kb) / 1024)
    return {
      messages,
      runs,
      loadavg: { before: loadBefore, after: loadavg() },
      broker: { mosquitto: mosquittoVersion(), settings: BROKER_SETTINGS },
      ingest: { qos0: ingestFigures(samples.node[0], samples.mosquittoSub[0]), qos1: ingestFigures(samples.node[1], samples.mosquittoSub[1]) },
      latency: {
        readings: LATENCY_READINGS,
        ratePerS: LATENCY_RATE_PER_S,
        p50Ms: latencies.length ? percentile(latencies, 50) : NaN,
        p99Ms: latencies.length ? percentile(latencies, 99) : NaN,
        maxMs: latencies.length ? Math.max(...latencies) : NaN,
        toBridgeP50Ms: toBridge.length ? percentile(toBridge, 50) : NaN,
        toBridgeP99Ms: toBridge.length ? percentile(toBridge, 99) : NaN,
        missing
      },
      maxRssMiB: {
        idle: mib([...samples.node[0], ...samples.node[1]].map((s) => s.idleRssKb)),
        qos1Stream: mib(samples.node[1].map((s) => s.streamRssKb)),
        qos0Stream: mib(samples.node[0].map((s) => s.streamRssKb))
      },
      aims: AIMS
    }
  } finally {
    await opened.closeAll()
  }
}
