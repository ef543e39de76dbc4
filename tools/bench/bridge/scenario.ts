// What the sensor-bridge section publishes and measures: one topic of numbered
// readings mapped to one feed, the broker's settings, the pacing and the deadlines;
// and each run's setup, a fresh broker and a fresh bridge node with the household's
// reader connected to it.
import type { MappingRule } from '../../../node/bridge/rules.ts'
import { BRIDGE_DEFAULTS } from '../../../node/config/types.ts'
import type { Board } from '../../config/boards.ts'
import { connectToNode, type NodeSession } from '../../client/connect.ts'
import type { Device } from '../../client/device.ts'
import { launchNode, readyKey } from '../../harness/local-node.ts'
import { startMosquitto, type Broker } from '../../harness/mosquitto.ts'
import type { NodeProcess } from '../../harness/node-process.ts'
import type { Closers } from '../section.ts'

export const TOPIC = 'bench/load'
export const RULE: MappingRule = { filter: 'bench/#', feed: 'bench', decoder: 'number' }
export const NODE_CLIENT_ID = 'roost-bench'
export const SUB_CLIENT_ID = 'roost-bench-sub'
// QoS 1 publishes the publisher keeps unacknowledged.
export const PUBLISH_WINDOW = 100
// QoS 0: after this many publishes the publisher waits until the socket has taken
// them and lets the event loop turn.
export const QOS0_CHUNK = 1000
// No message is dropped for a queue limit, so a QoS 0 loss is a real loss; the broker
// keeps as many QoS 1 messages in flight to a subscriber as the publisher keeps to it.
export const BROKER_SETTINGS = ['max_queued_messages 0', `max_inflight_messages ${PUBLISH_WINDOW}`]
// How often the node's feed length (over the DHT) and mosquitto_sub's file are read.
export const STATUS_POLL_MS = 50
export const FILE_POLL_MS = 5
// Once publishing is over and readings have begun to arrive, this long without
// progress means no more will come (lost QoS 0 messages). Before the first one a
// loaded machine may take longer: only NO_PROGRESS_MS then makes it a failure.
export const STALL_MS = 5000
export const NO_PROGRESS_MS = 30_000
// The node idles this long after it starts, before the idle figure and the stream.
export const IDLE_MS = 2000
// Node log events that mean readings may have been lost.
export const NODE_TROUBLE = ['broker-disconnected', 'broker-error', 'reading-not-stored', 'reading-refused', 'fatal']
// Publish → remote reader: this many QoS 1 readings at this rate per run; readings not
// read this long after the last publish count as missing.
export const LATENCY_READINGS = 500
export const LATENCY_RATE_PER_S = 100
export const LATENCY_WAIT_MS = 10_000

// What every run of the section shares.
export interface BridgeBench {
  work: string
  board: Board
  artifactDir: string
  bootstrap: string[]
  // The trusted client that reads status and feeds over the DHT.
  client: Device
  clientKey: string
}

// The broker, the bridge node and the reader's session of one run.
export interface BridgeRun {
  broker: Broker
  node: NodeProcess
  nodeKey: string
  session: NodeSession
}

// A fresh broker and a Bare node with the bridge role on it, ready once the broker has
// its subscription, and the client's session to the node; `opened` closes them all.
export async function startBridgeRun (bench: BridgeBench, name: string, opened: Closers): Promise<BridgeRun> {
  const broker = await startMosquitto({ settings: BROKER_SETTINGS })
  opened.add(() => broker.close())
  const node = launchNode({
    artifactDir: bench.artifactDir,
    runtime: 'bare',
    board: bench.board,
    work: bench.work,
    name,
    config: {
      bootstrap: bench.bootstrap,
      roles: ['bridge'],
      trustedKeys: [bench.clientKey],
      bridge: { broker: broker.url, caFile: null, clientId: NODE_CLIENT_ID, username: null, password: null, rules: [RULE], commandTopics: [], ...BRIDGE_DEFAULTS }
    }
  })
  opened.add(async () => { await node.stop() })
  const nodeKey = await readyKey(node)
  await node.waitFor('broker-connected', 10_000)
  await broker.waitForLog(new RegExp(` ${NODE_CLIENT_ID} \\d bench/#$`))
  const session = await connectToNode(bench.client, nodeKey)
  opened.add(() => session.close())
  return { broker, node, nodeKey, session }
}

// The length of the bench feed as the node's status gives it over the DHT.
export async function feedLength (session: NodeSession): Promise<number> {
  return (await session.control.status()).feeds.find((f) => f.name === RULE.feed)?.length ?? 0
}

// What the broker and the node last logged, for an error.
export function lastLogs (broker: Broker, node?: NodeProcess): string {
  return [`mosquitto log: ${broker.log.slice(-5).join(' | ')}`, ...(node ? [node.lastLog()] : [])].join('; ')
}
