// One ingest stream per run and subscriber: N numbered readings into the bridge node's
// encrypted feed, or the same N to mosquitto_sub on the same broker, the baseline.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { findMosquittoTool, startMosquitto, stopProcess } from '../../harness/mosquitto.ts'
import { sleep } from '../../harness/wait.ts'
import { vmHwmKb } from '../measure.ts'
import { closers } from '../section.ts'
import { stream } from './driver.ts'
import { streamSample, type NodeStreamSample, type StreamSample } from './figures.ts'
import { BROKER_SETTINGS, feedLength, FILE_POLL_MS, IDLE_MS, lastLogs, NODE_TROUBLE, RULE, startBridgeRun, STATUS_POLL_MS, SUB_CLIENT_ID, type BridgeBench } from './scenario.ts'

// N readings through the bridge into its feed. The feed's length is read from the
// node's status over the DHT every 50 ms.
export async function nodeIngest (bench: BridgeBench, qos: 0 | 1, messages: number, name: string): Promise<NodeStreamSample> {
  const opened = closers()
  try {
    const { broker, node, session } = await startBridgeRun(bench, name, opened)
    const pid = node.child.pid!
    // Let startup work settle: the idle figure and the stream both start from rest.
    await sleep(IDLE_MS)
    const idleRssKb = vmHwmKb(pid)
    const result = await stream(broker, qos, messages, pid, {
      read: () => feedLength(session), target: messages, pollMs: STATUS_POLL_MS, lastLogs: () => lastLogs(broker, node)
    })
    const streamRssKb = vmHwmKb(pid)
    const trouble = node.events.filter((e) => NODE_TROUBLE.includes(e.event)).map((e) => `node logged ${e.event}${e.reason ? `: ${String(e.reason)}` : ''}`)
    const sample = streamSample(result, result.reached, messages)
    return { ...sample, notes: [...sample.notes, ...new Set(trouble)], idleRssKb, streamRssKb }
  } finally {
    await opened.closeAll()
  }
}

// The baseline: the same N readings to mosquitto_sub, which writes one line per
// message to a file; the file's size tells how many have arrived.
export async function mosquittoSubIngest (bench: BridgeBench, qos: 0 | 1, messages: number, name: string): Promise<StreamSample> {
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
    const result = await stream(broker, qos, messages, sub.pid!, { read: size, target: expectedBytes, pollMs: FILE_POLL_MS, lastLogs: () => lastLogs(broker) })
    const arrived = result.reached === expectedBytes ? messages : fs.readFileSync(file).filter((byte) => byte === 0x0a).length
    return streamSample(result, arrived, messages)
  } finally {
    await opened.closeAll()
  }
}
