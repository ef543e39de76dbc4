// The Lua agent and the node together, as on a household's LAN: the shipped agent under
// the real lua5.3 reads a real Mosquitto and a file on the "router", sends to the
// lan-ingest role of the real Bare node, and a trusted peer reads the readings from the
// encrypted feed over the DHT. The node SIGKILLed mid-stream, and the agent killed with
// a full queue while the node is away, lose nothing queued and store nothing twice.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test, { type ExecutionContext } from 'ava'
import type { MappingRule } from '../../node/bridge/rules.ts'
import { buildAgentLua } from '../../targets/lua/build.ts'
import { KEEP_EVERY_READING } from '../../tools/harness/demo-broker.ts'
import { startLinePublisher } from '../../tools/harness/mosquitto.ts'
import { sleep } from '../../tools/harness/wait.ts'
import { roost } from '../helpers/cli.ts'
import { lanDevice, lanNode, type LanNode } from '../helpers/lan.ts'
import { startAgent, writeAgentConfig, type AgentProcess } from '../helpers/lua-agent.ts'
import { publish, startMosquitto, type Broker } from '../helpers/mosquitto.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { tmpDir } from '../helpers/tmp.ts'

const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-agent-node-'))
const bundle = path.join(buildDir, 'roost-agent.lua')
test.before(() => { buildAgentLua(bundle) })
test.after.always(() => { fs.rmSync(buildDir, { recursive: true, force: true }) })

const RULES: MappingRule[] = [
  { filter: 'home/#', feed: 'climate', decoder: 'number' },
  { filter: 'router/#', feed: 'router', decoder: 'text' }
]

interface Household {
  broker: Broker
  node: LanNode
  bootstrap: string[]
  // Starts the agent on the same config and queue each time.
  startAgent (): AgentProcess
}

async function household (t: ExecutionContext, files: string[] = []): Promise<Household> {
  const { bootstrap } = await startTestnet(t)
  // Past 1,000 queued messages Mosquitto drops by default, also for a connected but slower
  // subscriber such as the agent (README, Sensor bridge).
  const broker = await startMosquitto(t, KEEP_EVERY_READING)
  const device = lanDevice('router', undefined, RULES)
  const node = await lanNode(t, bootstrap, [device])
  const dir = tmpDir(t)
  const configFile = writeAgentConfig(path.join(dir, 'roost-agent'), {
    nodePort: node.port,
    deviceId: Buffer.from(device.id, 'hex'),
    key: Buffer.from(device.key, 'hex'),
    queueDir: path.join(dir, 'queue'),
    queueMaxKb: 1024,
    intervalS: 3600,
    broker: broker.url,
    subscribe: ['home/#'],
    files
  })
  return { broker, node, bootstrap, startAgent: () => startAgent(t, bundle, configFile) }
}

// Mosquitto logs "<client id> <qos> <filter>" once the agent's subscription is in place.
function subscribed (h: Household, agent: AgentProcess): Promise<unknown> {
  return Promise.race([
    h.broker.waitForLog(/roost-[0-9a-f]{16} 1 home\/#$/, 15_000),
    agent.exited.then(() => { throw new Error(`the agent exited: ${agent.stderr.join(' | ')}`) })
  ])
}

// The first stats line from now on with every reading queued so far acknowledged.
function drained (agent: AgentProcess, queued: number, timeoutMs = 60_000): Promise<unknown> {
  return agent.waitForEvent(`the agent's stats to show ${queued} readings queued and none left`,
    (e) => e.event === 'stats' && Number(e.queued) >= queued && Number(e.in_queue) === 0, timeoutMs, agent.events.length)
}

function readingValues (lines: number): string[] {
  return Array.from({ length: lines }, (_, i) => String(i + 1))
}

test('readings from the router\'s broker and a file reach a trusted peer through the node, decoded by the device\'s rules', async (t) => {
  const thermal = path.join(tmpDir(t), 'temp')
  fs.writeFileSync(thermal, '48000\n')
  const h = await household(t, [`router/thermal=${thermal}`])
  await h.node.start()
  const agent = h.startAgent()
  await subscribed(h, agent)
  await publish(h.broker, 'home/kitchen/temperature', '21.5')
  await publish(h.broker, 'home/hall/temperature', 'warm')
  await drained(agent, 3)

  const ls = await roost(['feed', 'ls', '--peer', h.node.nodeKey!, '--bootstrap', h.bootstrap[0]], { home: h.node.home })
  t.is(ls.code, 0, ls.stderr)
  const refs = Object.fromEntries(ls.stdout.trim().split('\n').slice(1).map((line) => {
    const [name, , ref] = line.split(/\s+/)
    return [name, ref]
  }))
  t.deepEqual(Object.keys(refs).sort(), ['climate', 'router'])
  const climate = await roost(['feed', 'export', refs.climate, '--format', 'jsonl', '--bootstrap', h.bootstrap[0]], { home: h.node.home })
  t.is(climate.code, 0, climate.stderr)
  t.deepEqual(climate.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((r) => [r.topic, r.value, r.decodeError]), [
    ['home/kitchen/temperature', 21.5, null],
    ['home/hall/temperature', Buffer.from('warm').toString('base64'), 'not a number: "warm"']
  ])
  const router = await roost(['feed', 'export', refs.router, '--format', 'jsonl', '--bootstrap', h.bootstrap[0]], { home: h.node.home })
  t.is(router.code, 0, router.stderr)
  t.deepEqual(router.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((r) => [r.topic, r.value]), [['router/thermal', '48000']])
})

test('the node SIGKILLed mid-stream and started again: every reading is stored once', async (t) => {
  const h = await household(t)
  let proc = await h.node.start()
  const agent = h.startAgent()
  await subscribed(h, agent)
  const values = readingValues(3000)
  const publisher = startLinePublisher(h.broker, 'home/meter')
  t.teardown(() => publisher.stop())
  // A paced stream, so that the kill lands while readings are on their way.
  const streaming = (async () => {
    for (let i = 0; i < values.length; i += 50) {
      for (const value of values.slice(i, i + 50)) publisher.send(value)
      await sleep(25)
    }
    await publisher.end()
  })()
  await agent.waitForEvent('the first acknowledgements', (e) => e.event === 'stats' && Number(e.acked) >= 100, 30_000)
  proc.child.kill('SIGKILL')
  await proc.exited()
  const atKill = agent.lastStats()!
  t.log(`killed with ${atKill.acked} acknowledged of ${atKill.queued} queued`)
  t.true(atKill.acked < values.length, 'the node was killed mid-stream')
  await streaming
  proc = await h.node.start()
  await drained(agent, values.length)
  t.is((await proc.stop(5000)).code, 0)

  const records = await h.node.readFeed('climate')
  const sequences = records.map((r) => r.packetId)
  t.is(new Set(sequences).size, sequences.length, 'no sequence stored twice')
  t.deepEqual(records.map((r) => Buffer.from(r.payload).toString()).sort(), [...values].sort(), 'each reading once')
})

test('the agent killed with a full queue while the node is away drains it after its restart', async (t) => {
  const h = await household(t)
  let agent = h.startAgent()
  await subscribed(h, agent)
  const values = readingValues(300)
  const publisher = startLinePublisher(h.broker, 'home/meter')
  t.teardown(() => publisher.stop())
  for (const value of values) publisher.send(value)
  await publisher.end()
  await agent.waitForEvent('300 readings queued for the absent node', (e) => e.event === 'stats' && Number(e.queued) >= 300, 30_000)
  await agent.kill('SIGKILL')

  agent = h.startAgent()
  await agent.waitForEvent('the restarted agent\'s first stats', (e) => e.event === 'stats', 15_000)
  t.is(agent.lastStats()?.in_queue, 300, 'the queue survived the kill')
  const proc = await h.node.start()
  await agent.waitForEvent('the queue drained', (e) => e.event === 'stats' && Number(e.in_queue) === 0, 60_000, agent.events.length)
  t.is((await proc.stop(5000)).code, 0)

  const records = await h.node.readFeed('climate')
  t.deepEqual(records.map((r) => Buffer.from(r.payload).toString()).sort(), [...values].sort(), 'each reading once')
  t.deepEqual(records.map((r) => r.packetId).sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i + 1))
})
