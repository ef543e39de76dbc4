// Sensor-bridge figures for `roost bench`, measured side by side in one run on this
// machine: sustained ingest into an encrypted feed at QoS 0 and QoS 1 next to
// mosquitto_sub on the same broker with the same publisher, publish → remote reader
// latency over a loopback testnet, and the bridge node's peak memory, idle and while
// it takes a QoS 1 stream. All traffic stays on 127.0.0.1; every broker, node,
// subscriber and folder started here is stopped or removed, whatever happens.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import createTestnet from 'hyperdht/testnet.js'
import { connect, type MqttClient } from 'mqtt'
import { decodeReading } from '../../node/bridge/record.ts'
import type { MappingRule } from '../../node/bridge/rules.ts'
import { BRIDGE_DEFAULTS } from '../../node/config/types.ts'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import { loadBoard, type Board } from '../config/boards.ts'
import { openFeedReader } from '../client/feeds.ts'
import { buildLocal, startNode, writeConfig } from '../harness/local-node.ts'
import { cpuMs, median, percentile, round, sleep, vmHwmKb } from './measure.ts'
import { findMosquittoTool, mosquittoVersion, startMosquitto, stopProcess, type Broker } from '../harness/mosquitto.ts'
import { connectToNode } from '../client/connect.ts'
import { watchNode, type NodeProcess } from '../harness/node-process.ts'
import { HarnessError } from '../harness/errors.ts'
import { deviceAt, type Device } from '../client/device.ts'

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

export interface BridgeFigures {
  messages: number
  runs: number
  loadavg: { before: number[], after: number[] }
  broker: { mosquitto: string, settings: string[] }
  ingest: { qos0: IngestFigures, qos1: IngestFigures }
  latency: {
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
  maxRssMiB: { idle: number, qos1Stream: number, qos0Stream: number }
  aims: typeof AIMS
}

// From the issue, printed for context and never asserted.
export const AIMS = { qos0MsgPerS: 20_000, qos1MsgPerS: 5_000, p99Ms: 50 } as const

const TOPIC = 'bench/load'
const RULE: MappingRule = { filter: 'bench/#', feed: 'bench', decoder: 'number' }
const NODE_CLIENT_ID = 'roost-bench'
const SUB_CLIENT_ID = 'roost-bench-sub'
// QoS 1 publishes the publisher keeps unacknowledged.
const PUBLISH_WINDOW = 100
// QoS 0: after this many publishes the publisher waits until the socket has taken
// them and lets the event loop turn.
const QOS0_CHUNK = 1000
// No message is dropped for a queue limit, so a QoS 0 loss is a real loss; the broker
// keeps as many QoS 1 messages in flight to a subscriber as the publisher keeps to it.
const BROKER_SETTINGS = ['max_queued_messages 0', `max_inflight_messages ${PUBLISH_WINDOW}`]
const STATUS_POLL_MS = 50
const FILE_POLL_MS = 5
// Once publishing is over and readings have begun to arrive, this long without
// progress means no more will come (lost QoS 0 messages). Before the first one a
// loaded machine may take longer: only NO_PROGRESS_MS then makes it a failure.
const STALL_MS = 5000
const NO_PROGRESS_MS = 30_000
const IDLE_MS = 2000
// Node log events that mean readings may have been lost.
const NODE_TROUBLE = ['broker-disconnected', 'broker-error', 'reading-not-stored', 'reading-refused', 'fatal']
const LATENCY_READINGS = 500
const LATENCY_RATE_PER_S = 100
const LATENCY_WAIT_MS = 10_000

interface Bench {
  work: string
  board: Board
  artifactDir: string
  bootstrap: string[]
  // The trusted client that reads status and feeds over the DHT.
  client: Device
  clientKey: string
}

interface StreamSample {
  msgPerS: number
  publisherMsgPerS: number
  cpuPercent: number
  brokerCpuPercent: number
  arrived: number
  notes: string[]
}

interface NodeStreamSample extends StreamSample { idleRssKb: number, streamRssKb: number }

// Runs the closers of what a measurement opened, newest first, each even when an
// earlier one failed.
function closers (): { add (close: () => Promise<void> | void): void, closeAll (): Promise<void> } {
  const stack: Array<() => Promise<void> | void> = []
  return {
    add (close) { stack.push(close) },
    async closeAll () {
      let first: unknown = null
      for (const close of stack.reverse()) {
        try {
          await close()
        } catch (err) {
          first ??= err
        }
      }
      if (first) throw first
    }
  }
}

export async function benchBridge (opts: { messages: number, runs: number }): Promise<BridgeFigures> {
  for (const [name, value] of Object.entries(opts)) {
    if (!Number.isInteger(value) || value < 1) throw HarnessError.BAD_OPTION(`benchBridge: ${name}`, `must be a whole number ≥ 1, got ${value}`)
  }
  const loadBefore = os.loadavg()
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-bench-bridge-'))
  let testnet: Awaited<ReturnType<typeof createTestnet>> | null = null
  try {
    const board = loadBoard('x86-64-mini-pc')
    const { outDir } = await buildLocal(board, 'bare', path.join(work, 'artifact'))
    testnet = await createTestnet(3, { host: '127.0.0.1' })
    const bootstrap = testnet.bootstrap.map((b) => `${b.host}:${b.port}`)
    const identity = path.join(work, 'client')
    const clientKey = encodeKey(loadOrCreateIdentity(identity).keyPair.publicKey)
    const bench: Bench = { work, board, artifactDir: outDir, bootstrap, client: deviceAt(identity, { bootstrap }), clientKey }

    const samples = {
      node: { 0: [] as NodeStreamSample[], 1: [] as NodeStreamSample[] },
      mosquittoSub: { 0: [] as StreamSample[], 1: [] as StreamSample[] }
    }
    const latencies: number[] = []
    const toBridge: number[] = []
    let missing = 0
    for (let run = 0; run < opts.runs; run++) {
      for (const qos of [0, 1] as const) {
        // Alternate which goes first, so drift in machine load hits both alike.
        const order = run % 2 === 0 ? ['node', 'mosquittoSub'] as const : ['mosquittoSub', 'node'] as const
        for (const subscriber of order) {
          if (subscriber === 'node') samples.node[qos].push(await nodeIngest(bench, qos, opts.messages, `node-qos${qos}-${run}`))
          else samples.mosquittoSub[qos].push(await mosquittoSubIngest(bench, qos, opts.messages, `sub-qos${qos}-${run}`))
        }
      }
      const sample = await readerLatency(bench, `latency-${run}`)
      latencies.push(...sample.latencies)
      toBridge.push(...sample.toBridge)
      missing += LATENCY_READINGS - sample.latencies.length
    }

    const ingest = (qos: 0 | 1): IngestFigures => {
      const node = subscriberFigures(samples.node[qos])
      const mosquittoSub = subscriberFigures(samples.mosquittoSub[qos])
      return { node, mosquittoSub, nodeToMosquittoSub: Number((node.msgPerS / mosquittoSub.msgPerS).toFixed(3)) }
    }
    const mib = (kb: number[]): number => round(median(kb) / 1024)
    return {
      messages: opts.messages,
      runs: opts.runs,
      loadavg: { before: loadBefore.map(twoDecimals), after: os.loadavg().map(twoDecimals) },
      broker: { mosquitto: mosquittoVersion(), settings: BROKER_SETTINGS },
      ingest: { qos0: ingest(0), qos1: ingest(1) },
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
    await testnet?.destroy()
    fs.rmSync(work, { recursive: true, force: true })
  }
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

function twoDecimals (n: number): number {
  return Number(n.toFixed(2))
}

// A Bare node with the bridge role on `broker`, started from the artifact, ready
// once the broker has its subscription.
async function startBridgeNode (bench: Bench, broker: Broker, name: string): Promise<{ node: NodeProcess, key: string }> {
  const configFile = path.join(bench.work, `${name}.json`)
  writeConfig(configFile, {
    ...defaultConfig(bench.board),
    dataDir: path.join(bench.work, name),
    bootstrap: bench.bootstrap,
    roles: ['bridge'],
    trustedKeys: [bench.clientKey],
    bridge: { broker: broker.url, caFile: null, clientId: NODE_CLIENT_ID, username: null, password: null, rules: [RULE], commandTopics: [], ...BRIDGE_DEFAULTS }
  })
  const node = watchNode(startNode(bench.artifactDir, 'bare', configFile, 'pipe'))
  try {
    const ready = await node.waitFor('ready', 30_000)
    await node.waitFor('broker-connected', 10_000)
    await broker.waitForLog(new RegExp(` ${NODE_CLIENT_ID} \\d bench/#$`))
    return { node, key: String(ready.publicKey) }
  } catch (err) {
    await node.stop()
    throw err
  }
}

// N numbered readings through the bridge into its feed. The feed's length is read
// from the node's status over the DHT every 50 ms.
async function nodeIngest (bench: Bench, qos: 0 | 1, messages: number, name: string): Promise<NodeStreamSample> {
  const opened = closers()
  try {
    const broker = await startMosquitto({ settings: BROKER_SETTINGS })
    opened.add(() => broker.close())
    const { node, key } = await startBridgeNode(bench, broker, name)
    opened.add(async () => { await node.stop() })
    const session = await connectToNode(bench.client, key)
    opened.add(() => session.close())
    const pid = node.child.pid!
    // Let startup work settle: the idle figure and the stream both start from rest.
    await sleep(IDLE_MS)
    const idleRssKb = vmHwmKb(pid)
    const feedLength = async (): Promise<number> => (await session.control.status()).feeds.find((f) => f.name === RULE.feed)?.length ?? 0
    const result = await stream(broker, qos, messages, pid, { read: feedLength, target: messages, pollMs: STATUS_POLL_MS })
    const streamRssKb = vmHwmKb(pid)
    const trouble = node.events.filter((e) => NODE_TROUBLE.includes(e.event)).map((e) => `node logged ${e.event}${e.reason ? `: ${String(e.reason)}` : ''}`)
    const sample = rates(result, result.reached, messages)
    return { ...sample, notes: [...sample.notes, ...new Set(trouble)], idleRssKb, streamRssKb }
  } finally {
    await opened.closeAll()
  }
}

// The baseline: the same N readings to mosquitto_sub, which writes one line per
// message to a file; the file's size tells how many have arrived.
async function mosquittoSubIngest (bench: Bench, qos: 0 | 1, messages: number, name: string): Promise<StreamSample> {
  const opened = closers()
  try {
    const broker = await startMosquitto({ settings: BROKER_SETTINGS })
    opened.add(() => broker.close())
    const file = path.join(bench.work, `${name}.txt`)
    const fd = fs.openSync(file, 'w')
    const sub = spawn(findMosquittoTool('mosquitto_sub'), ['-h', '127.0.0.1', '-p', String(broker.port), '-i', SUB_CLIENT_ID, '-t', RULE.filter, '-q', String(qos)],
      { stdio: ['ignore', fd, 'ignore'] })
    fs.closeSync(fd)
    opened.add(() => fs.rmSync(file, { force: true }))
    opened.add(() => stopProcess(sub))
    await broker.waitForLog(new RegExp(` ${SUB_CLIENT_ID} \\d bench/#$`))
    // mosquitto_sub flushes after every message: payload and a newline.
    let expectedBytes = 0
    for (let i = 0; i < messages; i++) expectedBytes += String(i).length + 1
    const size = async (): Promise<number> => (await fs.promises.stat(file)).size
    const result = await stream(broker, qos, messages, sub.pid!, { read: size, target: expectedBytes, pollMs: FILE_POLL_MS })
    const arrived = result.reached === expectedBytes ? messages : fs.readFileSync(file).filter((byte) => byte === 0x0a).length
    return rates(result, arrived, messages)
  } finally {
    await opened.closeAll()
  }
}

interface Progress { read (): Promise<number>, target: number, pollMs: number }

interface StreamResult {
  // The progress reached, and seconds from the first publish until it was.
  reached: number
  elapsedS: number
  publisherMsgPerS: number
  cpuPercent: number
  brokerCpuPercent: number
  // Broker log lines about dropped messages.
  brokerNotes: string[]
}

function rates (result: StreamResult, arrived: number, messages: number): StreamSample {
  const { publisherMsgPerS, cpuPercent, brokerCpuPercent } = result
  const notes = [...(arrived < messages ? [`${arrived} of ${messages} arrived`] : []), ...result.brokerNotes]
  return { msgPerS: result.elapsedS > 0 ? arrived / result.elapsedS : 0, publisherMsgPerS, cpuPercent, brokerCpuPercent, arrived, notes }
}

// Publishes N numbered readings as fast as flow control allows and waits until the
// subscriber's progress reaches its target (or stops growing after publishing).
async function stream (broker: Broker, qos: 0 | 1, messages: number, subscriberPid: number, progress: Progress): Promise<StreamResult> {
  const publisher = await connectPublisher(broker)
  try {
    const cpuBefore = { subscriber: cpuMs(subscriberPid), broker: cpuMs(broker.pid) }
    const started = performance.now()
    let publishedAt: number | null = null
    const publishing = publishNumbered(publisher, qos, messages).then(() => { publishedAt = performance.now() })
    // Handled below; a failure while progress is still being watched must not go unhandled.
    publishing.catch(() => {})
    const done = await watchProgress(progress, started, () => publishedAt)
    await publishing
    const wallMs = performance.now() - started
    return {
      reached: done.value,
      elapsedS: (done.at - started) / 1000,
      publisherMsgPerS: messages / ((publishedAt! - started) / 1000),
      cpuPercent: round((cpuMs(subscriberPid) - cpuBefore.subscriber) / wallMs * 100),
      brokerCpuPercent: round((cpuMs(broker.pid) - cpuBefore.broker) / wallMs * 100),
      brokerNotes: broker.log.filter((line) => /dropp/i.test(line)).map((line) => `mosquitto: ${line.replace(/^\d+: /, '')}`)
    }
  } finally {
    publisher.end(true)
  }
}

// Polls until progress reaches the target, or until it stops growing once publishing
// is over. Each poll is timed at the middle of its round trip; a change happened
// between the poll before and the poll that saw it, and is placed at their midpoint:
// off by at most half a poll interval.
async function watchProgress (progress: Progress, started: number, publishedAt: () => number | null): Promise<{ value: number, at: number }> {
  let value = 0
  let previousAt = started
  let changedAt = started
  for (;;) {
    const sent = performance.now()
    const now = await progress.read()
    const at = (sent + performance.now()) / 2
    if (now !== value) {
      value = now
      changedAt = (previousAt + at) / 2
    }
    if (value >= progress.target) return { value, at: changedAt }
    const published = publishedAt()
    const quietMs = at - Math.max(changedAt, published ?? started)
    if (published !== null && value > 0 && quietMs > STALL_MS) return { value, at: changedAt }
    if (quietMs > NO_PROGRESS_MS) throw HarnessError.WAIT_TIMEOUT(`progress (at ${value} of ${progress.target})`, NO_PROGRESS_MS, '')
    previousAt = at
    await sleep(progress.pollMs)
  }
}

async function connectPublisher (broker: Broker): Promise<MqttClient> {
  const client = connect(broker.url, { clientId: `roost-bench-publisher-${process.pid}`, reconnectPeriod: 0 })
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', reject)
      client.once('close', () => reject(HarnessError.DID_NOT_START(`the publisher's connection to ${broker.url}`, 'closed')))
    })
  } catch (err) {
    client.end(true)
    throw err
  }
  return client
}

async function publishNumbered (client: MqttClient, qos: 0 | 1, messages: number): Promise<void> {
  if (qos === 0) {
    for (let i = 0; i < messages; i++) {
      if ((i + 1) % QOS0_CHUNK !== 0 && i !== messages - 1) {
        client.publish(TOPIC, String(i), { qos: 0 })
        continue
      }
      // mqtt.js calls back once the socket has taken the packet, after 'drain' when
      // its buffer was full: that is the flow control.
      await new Promise<void>((resolve, reject) => client.publish(TOPIC, String(i), { qos: 0 }, (err) => err ? reject(err) : resolve()))
      await new Promise((resolve) => setImmediate(resolve))
    }
    return
  }
  await new Promise<void>((resolve, reject) => {
    let sent = 0
    let acked = 0
    const send = (): void => {
      client.publish(TOPIC, String(sent++), { qos: 1 }, (err) => {
        if (err) return reject(err)
        if (++acked === messages) resolve()
        else if (sent < messages) send()
      })
    }
    for (let i = 0; i < Math.min(PUBLISH_WINDOW, messages); i++) send()
  })
}

// A remote reader replicating the feed over the testnet, decoding each reading as
// its append arrives, while readings carrying their publish time (Date.now()) are
// published at QoS 1 at a steady rate.
async function readerLatency (bench: Bench, name: string): Promise<{ latencies: number[], toBridge: number[] }> {
  const opened = closers()
  try {
    const broker = await startMosquitto({ settings: BROKER_SETTINGS })
    opened.add(() => broker.close())
    const { node, key } = await startBridgeNode(bench, broker, name)
    opened.add(async () => { await node.stop() })
    const publisher = await connectPublisher(broker)
    opened.add(() => { publisher.end(true) })

    // One reading first, so the reader opens a feed that has a block and the
    // connections are warm before anything is timed.
    const session = await connectToNode(bench.client, key)
    opened.add(() => session.close())
    await new Promise<void>((resolve, reject) => publisher.publish(TOPIC, String(Date.now()), { qos: 1 }, (err) => err ? reject(err) : resolve()))
    const feedLength = async (): Promise<number> => (await session.control.status()).feeds.find((f) => f.name === RULE.feed)?.length ?? 0
    const warmUp = performance.now()
    await watchProgress({ read: feedLength, target: 1, pollMs: STATUS_POLL_MS }, warmUp, () => warmUp)
    const { feedKey, feeds } = await session.control.feeds()
    const feed = feeds.find((f) => f.name === RULE.feed)
    if (!feed) throw HarnessError.CHECK_FAILED(`the node has no feed "${RULE.feed}"`)
    const reader = await openFeedReader(bench.client, { name: RULE.feed, nodeKey: decodeKey('node key', key), coreKey: feed.key, feedKey }, { decrypt: true })
    opened.add(() => reader.close())

    const latencies: number[] = []
    const toBridge: number[] = []
    let readError: Error | null = null
    let next = reader.core.length
    let draining = false
    const drain = async (): Promise<void> => {
      if (draining) return
      draining = true
      try {
        while (next < reader.core.length) {
          const block = await reader.core.get(next++)
          const decodedAt = Date.now()
          if (!block) continue
          const reading = decodeReading(block)
          const publishedAt = Number(Buffer.from(reading.payload).toString('utf8'))
          latencies.push(decodedAt - publishedAt)
          toBridge.push(reading.receivedAt - publishedAt)
        }
      } finally {
        draining = false
      }
    }
    reader.core.on('append', () => { drain().catch((err: Error) => { readError ??= err }) })

    const started = performance.now()
    for (let i = 0; i < LATENCY_READINGS; i++) {
      const wait = started + i * 1000 / LATENCY_RATE_PER_S - performance.now()
      if (wait > 0) await sleep(wait)
      publisher.publish(TOPIC, String(Date.now()), { qos: 1 })
    }
    const deadline = performance.now() + LATENCY_WAIT_MS
    while (latencies.length < LATENCY_READINGS && !readError && performance.now() < deadline) await sleep(20)
    if (readError) throw readError
    return { latencies, toBridge }
  } finally {
    await opened.closeAll()
  }
}
