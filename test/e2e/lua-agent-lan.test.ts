// The real Lua agent (lua5.3, the shipped bundle) against the real lan-ingest node on Bare,
// where the two must agree on what an acknowledgement means: readings whose topic the
// node's rules do not route are acknowledged (and counted) so they do not stall the agent,
// and an agent whose queue folder was lost, and so numbers from 1 again, learns the node's
// highest number from an acknowledgement, renumbers what it holds, and gets it all stored
// once.
import test, { type ExecutionContext } from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { LanIngestStatus } from '../../node/protocol/lan-messages.ts'
import { buildAgentLua } from '../../targets/lua/build.ts'
import { lanDevice, lanNode, type LanNode } from '../helpers/lan.ts'
import { startAgent, writeAgentConfig, type AgentProcess, type AgentSettings } from '../helpers/lua-agent.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'

const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-lua-agent-lan-'))
const bundle = path.join(buildDir, 'roost-agent.lua')
test.before(() => { buildAgentLua(bundle) })
test.after.always(() => { fs.rmSync(buildDir, { recursive: true, force: true }) })

interface Setup {
  node: LanNode
  dir: string
  queueDir: string
  // Writes one file per reading and an agent config that reads them once at start (and
  // then only an hour later): each start of the agent queues exactly these readings.
  start (readings: Array<[topic: string, payload: string]>): AgentProcess
}

async function setup (t: ExecutionContext): Promise<Setup> {
  const { bootstrap } = await startTestnet(t)
  const device = lanDevice('router')
  const node = await lanNode(t, bootstrap, [device])
  const dir = tmpDir(t)
  const queueDir = path.join(dir, 'queue')
  let run = 0
  return {
    node,
    dir,
    queueDir,
    start (readings) {
      const runDir = path.join(dir, `run-${++run}`)
      fs.mkdirSync(runDir)
      const files = readings.map(([topic, payload], i) => {
        const file = path.join(runDir, `reading-${i}`)
        fs.writeFileSync(file, payload + '\n')
        return `${topic}=${file}`
      })
      const settings: AgentSettings = {
        nodePort: node.port, deviceId: Buffer.from(device.id, 'hex'), key: Buffer.from(device.key, 'hex'), queueDir, intervalS: 3600, files
      }
      return startAgent(t, bundle, writeAgentConfig(path.join(runDir, 'roost-agent'), settings))
    }
  }
}

const numbers = (event: Record<string, string>): Record<string, number> => Object.fromEntries(Object.entries(event).map(([k, v]) => [k, Number(v)]))

// The first stats line that shows every reading this run queued acknowledged.
async function waitDrained (agent: AgentProcess, queued: number, timeoutMs = 30_000): Promise<Record<string, number>> {
  return numbers(await agent.waitForEvent(`a stats line with all ${queued} readings queued and acknowledged`, (e) => e.event === 'stats' && Number(e.queued) === queued && Number(e.acked) === queued && e.in_queue === '0', timeoutMs))
}

const meter = (payloads: string[]): Array<[string, string]> => payloads.map((p) => ['meter/router', p])
const range = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => String(from + i))

test('readings whose topic no rule routes are acknowledged and counted: 40 of them do not stall the routed ones behind', async (t) => {
  const s = await setup(t)
  const proc = await s.node.start()
  // 40 unrouted first: more than the 32 the agent keeps in flight.
  const unrouted: Array<[string, string]> = Array.from({ length: 40 }, (_, i) => [i % 2 === 0 ? 'kitchen/light' : 'kitchen/door', 'on'])
  const agent = s.start([...unrouted, ...meter(range(1, 10))])
  t.like(await waitDrained(agent, 50), { bad_acks: 0, dropped_full: 0 })

  const status = await s.node.lanStatus()
  t.like(status, { stored: 10, duplicates: 0 })
  t.true(status.dropped['unrouted-topic'] >= 40, `${status.dropped['unrouted-topic']} counted unrouted`)
  // Once per device and topic, not once per datagram.
  const lines = proc.events.filter((e) => e.event === 'lan-datagram-dropped' && e.reason === 'unrouted-topic')
  t.deepEqual(lines.map((e) => [e.device, e.topic]).sort(), [['router', 'kitchen/door'], ['router', 'kitchen/light']])
  await agent.stop()
  t.is((await proc.stop(3000)).code, 0)
  const records = await s.node.readFeed()
  t.deepEqual(records.map((r) => Buffer.from(r.payload).toString()), range(1, 10))
  t.deepEqual(records.map((r) => r.packetId), range(41, 10).map(Number))
})

// After a lost queue the agent numbers from 1 again; every reading it then sends is one
// the node holds (in its window) or one too old for the window.
async function lostQueue (t: ExecutionContext, s: Setup, firstRun: string[], secondRun: string[]): Promise<{ agent: AgentProcess, packetIds: number[], status: LanIngestStatus }> {
  const proc = await s.node.start()
  const first = s.start(meter(firstRun))
  await waitDrained(first, firstRun.length)
  await first.stop()

  fs.rmSync(s.queueDir, { recursive: true })
  const second = s.start(meter(secondRun))
  t.like(numbers(await second.waitForEvent('the start', (e) => e.event === 'start')), { next_seq: 1, in_queue: 0 })
  await waitDrained(second, secondRun.length)
  await second.stop()
  const status = await s.node.lanStatus()
  t.is(status.stored, firstRun.length + secondRun.length)
  t.is((await proc.stop(3000)).code, 0)

  const records = await s.node.readFeed()
  const stored = records.map((r) => Buffer.from(r.payload).toString())
  t.deepEqual([...stored].sort(), [...firstRun, ...secondRun].sort(), 'each reading stored once, none lost')
  t.is(new Set(records.map((r) => r.packetId)).size, records.length, 'a sequence number stored twice')
  return { agent: second, packetIds: records.map((r) => r.packetId), status }
}

function renumberedLine (t: ExecutionContext, agent: AgentProcess): Record<string, number> {
  const lines = agent.events.filter((e) => e.event === 'renumbered')
  t.is(lines.length, 1, 'renumbered once')
  t.log(Object.entries(lines[0]).map(([k, v]) => `${k}=${v}`).join(' '))
  return numbers(lines[0])
}

test('a lost queue: readings numbered again from 1 that the node\'s window holds are renumbered past its highest and stored', async (t) => {
  const s = await setup(t)
  const { agent, packetIds, status } = await lostQueue(t, s, range(100, 8), range(200, 8))
  t.true(status.duplicates >= 1, 'the first number sent again was taken for a stored one')
  // Its next number (9) had passed the node's highest (8) before the node answered: the
  // first answer's highest is above the one number sent since the start.
  t.like(renumberedLine(t, agent), { node_highest: 8, old_next_seq: 9, first_seq: 9, next_seq: 17, readings: 8, unreadable: 0, dropped: 0 })
  t.deepEqual(packetIds, range(1, 16).map(Number))
})

test('a lost queue: readings numbered again from 1 below the node\'s window get an empty acknowledgement, are renumbered and stored', async (t) => {
  const s = await setup(t)
  // The first agent has sent 3,000 readings before (its queue header says so): numbers 1 to
  // 8 are then far below the node's window of 1,024.
  fs.mkdirSync(s.queueDir)
  fs.writeFileSync(path.join(s.queueDir, 'queue.log'), 'roost-agent-queue 1 3001\n')
  const { agent, packetIds, status } = await lostQueue(t, s, range(100, 8), range(200, 8))
  t.like(renumberedLine(t, agent), { node_highest: 3008, old_next_seq: 9, first_seq: 3009, next_seq: 3017, readings: 8, unreadable: 0, dropped: 0 })
  t.deepEqual(packetIds, range(3001, 16).map(Number))
  t.true(status.dropped['too-old'] >= 1, 'numbers below the window were dropped as too old')
})
