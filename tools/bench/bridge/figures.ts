// The sensor-bridge section's figures, as `roost bench --json` prints them under
// "bridge", and how one stream's result and the runs' samples become them.
import { median } from '../measure.ts'
import type { StreamResult } from './driver.ts'

export interface SubscriberFigures {
  // Medians over the runs.
  msgPerS: number
  // How fast the publisher handed the messages over (QoS 1: until the broker acknowledged all).
  publisherMsgPerS: number
  // CPU time of the subscriber (the node, or mosquitto_sub) and of the broker during
  // the stream, in % of one core.
  cpuPercent: number
  brokerCpuPercent: number
  // The fewest of the published messages that arrived in any run.
  arrived: number
  allMsgPerS: number[]
  // What went wrong in a run: messages the broker logged as dropped, the node losing
  // its broker or failing to store a reading.
  notes: string[]
}

export interface IngestFigures {
  node: SubscriberFigures
  mosquittoSub: SubscriberFigures
  // Ratio of the medians.
  nodeToMosquittoSub: number
}

export interface LatencyFigures {
  readings: number
  ratePerS: number
  // Percentiles over every run's readings together; time the reader decoded a
  // reading minus the time it was published.
  p50Ms: number
  p99Ms: number
  maxMs: number
  // The part of it until the bridge received the message (its receivedAt).
  toBridgeP50Ms: number
  toBridgeP99Ms: number
  // Readings the reader never decoded, over all runs.
  missing: number
}

export interface BridgeFigures {
  messages: number
  runs: number
  loadavg: { before: number[], after: number[] }
  broker: { mosquitto: string, settings: string[] }
  ingest: { qos0: IngestFigures, qos1: IngestFigures }
  latency: LatencyFigures
  maxRssMiB: { idle: number, qos1Stream: number, qos0Stream: number }
  aims: typeof AIMS
}

// From the issue, printed for context and never asserted.
export const AIMS = { qos0MsgPerS: 20_000, qos1MsgPerS: 5_000, p99Ms: 50 } as const

// One stream to one subscriber.
export interface StreamSample {
  msgPerS: number
  publisherMsgPerS: number
  cpuPercent: number
  brokerCpuPercent: number
  arrived: number
  notes: string[]
}

export interface NodeStreamSample extends StreamSample { idleRssKb: number, streamRssKb: number }

export function streamSample (result: StreamResult, arrived: number, messages: number): StreamSample {
  const { publisherMsgPerS, cpuPercent, brokerCpuPercent } = result
  const notes = [...(arrived < messages ? [`${arrived} of ${messages} arrived`] : []), ...result.brokerNotes]
  return { msgPerS: result.elapsedS > 0 ? arrived / result.elapsedS : 0, publisherMsgPerS, cpuPercent, brokerCpuPercent, arrived, notes }
}

export function ingestFigures (node: StreamSample[], mosquittoSub: StreamSample[]): IngestFigures {
  const n = subscriberFigures(node)
  const sub = subscriberFigures(mosquittoSub)
  return { node: n, mosquittoSub: sub, nodeToMosquittoSub: Number((n.msgPerS / sub.msgPerS).toFixed(3)) }
}

function subscriberFigures (samples: StreamSample[]): SubscriberFigures {
  return {
    msgPerS: Math.round(median(samples.map((s) => s.msgPerS))),
    publisherMsgPerS: Math.round(median(samples.map((s) => s.publisherMsgPerS))),
    cpuPercent: Math.round(median(samples.map((s) => s.cpuPercent))),
    brokerCpuPercent: Math.round(median(samples.map((s) => s.brokerCpuPercent))),
    arrived: Math.min(...samples.map((s) => s.arrived)),
    allMsgPerS: samples.map((s) => Math.round(s.msgPerS)),
    notes: samples.flatMap((s, run) => s.notes.map((note) => `run ${run + 1}: ${note}`))
  }
}
