// One run of the shipped agent under lua5.3 with LuaSocket: connected to a real Mosquitto
// and sending to a receiver that opens its datagrams with sodium and acknowledges each (as
// the node does), it idles, then takes a burst of readings published at once. Measured:
// its RSS when idle, its peak RSS (VmHWM) after the burst, and its CPU time from the first
// publish to the last acknowledgement it read.
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { KEEP_EVERY_READING } from '../../harness/demo-broker.ts'
import { HarnessError } from '../../harness/errors.ts'
import { startLanReceiver } from '../../harness/lan-receiver.ts'
import { startLuaAgent, writeAgentConfig, type AgentProcess } from '../../harness/lua-agent.ts'
import { startLinePublisher, startMosquitto, stopProcess } from '../../harness/mosquitto.ts'
import { sleep, until, withDeadline } from '../../harness/wait.ts'
import { cpuMs, rssKinds, vmHwmKb, vmRssKb } from '../measure.ts'
import type { Closers } from '../section.ts'
import { TOPIC } from './sealing.ts'

export interface BurstSample {
  idleRssKb: number
  // Of it, the agent's own pages, and pages of mapped files (lua5.3, LuaSocket, libc).
  idleAnonMiB: number
  idleFileMiB: number
  maxRssKb: number
  cpuMs: number
  burstMs: number
  retransmitted: number
}

export interface BurstOptions {
  luaFile: string
  work: string
  readings: number
  idleMs: number
}

const SUBSCRIBE_TIMEOUT_MS = 15_000
// Loopback and 1,000 readings take a second or two; a loaded machine, many more.
const burstTimeoutMs = (readings: number): number => 60_000 + 20 * readings

// Events of the agent that mean a reading was lost or refused: a run with one is no measurement.
const TROUBLE = ['dropped-full', 'refused', 'queue-error', 'mqtt-down']

// Sums the `count` of the agent's events of one kind, reading each event once.
function eventCounter (agent: AgentProcess, event: string): () => number {
  let seen = 0
  let total = 0
  return () => {
    for (; seen < agent.events.length; seen++) {
      if (agent.events[seen].event === event) total += Number(agent.events[seen].count)
    }
    return total
  }
}

function lastLines (agent: AgentProcess): string {
  return `the agent's last events: ${agent.events.slice(-6).map((e) => JSON.stringify(e)).join(' ')}; stderr: ${agent.stderr.slice(-4).join(' | ')}`
}

export async function agentBurst (opts: BurstOptions, name: string, opened: Closers): Promise<BurstSample> {
  const dir = path.join(opts.work, name)
  fs.mkdirSync(dir)
  // A subscriber slower than the publisher must get every reading: Mosquitto drops past
  // 1,000 queued messages by default, also for a connected client.
  const broker = await startMosquitto({ settings: KEEP_EVERY_READING })
  opened.add(() => broker.close())
  const deviceId = crypto.randomBytes(8)
  const key = crypto.randomBytes(32)
  const receiver = await startLanReceiver({ key, deviceId })
  opened.add(() => receiver.close())
  const config = writeAgentConfig(path.join(dir, 'roost-agent'), {
    nodePort: receiver.port,
    deviceId,
    key,
    queueDir: path.join(dir, 'queue'),
    // Room for the whole burst unacknowledged (about 110 bytes a reading on disk).
    queueMaxKb: Math.max(256, Math.ceil(opts.readings * 200 / 1024)),
    // No sensors and no stats lines: the agent only forwards what the broker delivers.
    intervalS: 86_400,
    statsIntervalS: 86_400,
    broker: broker.url,
    subscribe: ['home/#']
  })
  const agent = startLuaAgent(opts.luaFile, config)
  opened.add(() => agent.stop())
  const pid = agent.pid
  await withDeadline('the agent\'s subscription', broker.waitForLog(new RegExp(`roost-${deviceId.toString('hex')} 1 home/#$`), SUBSCRIBE_TIMEOUT_MS),
    SUBSCRIBE_TIMEOUT_MS + 1000, () => lastLines(agent))
  await sleep(opts.idleMs)
  const idleRssKb = vmRssKb(pid)
  const idleKinds = rssKinds(pid)

  const acked = eventCounter(agent, 'acked')
  const retransmitted = eventCounter(agent, 'retransmit')
  const publisher = startLinePublisher(broker, TOPIC)
  opened.add(() => publisher.stop())
  const timeoutMs = burstTimeoutMs(opts.readings)
  const cpuBefore = cpuMs(pid)
  const started = performance.now()
  // Five bytes each, all different: 00001, 00002, ...
  for (let i = 1; i <= opts.readings; i++) publisher.send(String(i).padStart(5, '0'))
  let exited = false
  void agent.exited.then(() => { exited = true })
  const ended = await withDeadline(`${opts.readings} readings acknowledged to the agent`, (async () => {
    await publisher.end()
    // Polled rather than woken by each line, so that counting stays linear in the lines.
    return await until('the agent\'s last acknowledgement', () => {
      if (exited) return 'the agent exited'
      if (agent.events.some((e) => TROUBLE.includes(e.event))) return 'the agent lost readings'
      return acked() >= opts.readings ? 'done' : undefined
    }, timeoutMs, 5)
  })(), timeoutMs, () => `${receiver.unique().size} readings at the receiver; ${lastLines(agent)}`)
  const burstMs = performance.now() - started
  if (ended !== 'done') throw HarnessError.CHECK_FAILED(`agent bench: ${ended} during the burst; ${lastLines(agent)}`)
  const cpuUsed = cpuMs(pid) - cpuBefore
  const maxRssKb = vmHwmKb(pid)

  const trouble = agent.events.filter((e) => TROUBLE.includes(e.event))
  const unique = receiver.unique()
  const payloads = new Set([...unique.values()].map((r) => r.payload))
  if (trouble.length > 0 || unique.size !== opts.readings || payloads.size !== opts.readings || receiver.invalid > 0) {
    throw HarnessError.CHECK_FAILED(`agent bench: ${opts.readings} readings published, the receiver opened ${unique.size} ` +
      `(${payloads.size} payloads, ${receiver.invalid} invalid datagrams); ${lastLines(agent)}`)
  }
  return { idleRssKb, idleAnonMiB: idleKinds.anonMiB, idleFileMiB: idleKinds.fileMiB, maxRssKb, cpuMs: cpuUsed, burstMs, retransmitted: retransmitted() }
}

// lua5.3 that has loaded LuaSocket and sleeps: the part of the agent's RSS that any
// program on that interpreter and library pays.
export async function luaSocketOnlyRssKb (): Promise<number> {
  const child = spawn('lua5.3', ['-e', 'local socket = require("socket"); io.write("ready\\n"); io.flush(); socket.sleep(120)'], { stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const output: string[] = []
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output.push(chunk.toString())
        if (output.join('').includes('ready\n')) resolve()
      })
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()))
      child.on('close', (code) => reject(HarnessError.EXITED('lua5.3 with LuaSocket', 'it was ready', `exit code ${code}, output: ${output.join('')}`)))
    })
    await withDeadline('lua5.3 with LuaSocket ready', ready, 10_000, () => output.join(''))
    return vmRssKb(child.pid!)
  } finally {
    await stopProcess(child)
  }
}
