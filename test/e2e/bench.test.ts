// `roost bench`'s sections through their library functions with tiny settings: each
// returns its figures with the keys the issue notes quote and sane values, leaves no
// process or folder behind, and the report shows every figure. Behaviour, never
// timings. Serial: the sections would compete for the machine's cores.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { benchAgent } from '../../tools/bench/agent/agent.ts'
import { benchBridge } from '../../tools/bench/bridge/bridge.ts'
import { benchBudget } from '../../tools/bench/budget/budget.ts'
import { benchFleet } from '../../tools/bench/fleet.ts'
import { benchIdle } from '../../tools/bench/idle.ts'
import { benchLan } from '../../tools/bench/lan.ts'
import { benchNat, whyNoNatBench } from '../../tools/bench/nat.ts'
import { benchNode } from '../../tools/bench/node.ts'
import { renderJson, renderReport, type BenchFigures } from '../../tools/bench/report.ts'
import { benchStorage } from '../../tools/bench/storage/storage.ts'
import { loadBoard } from '../../tools/config/boards.ts'

// Runs a section with TMPDIR pointing at a fresh folder and its progress collected;
// afterwards the folder must be empty and no process the section started still running.
async function section<T> (t: ExecutionContext, run: (progress: (step: string) => void) => Promise<T>): Promise<{ figures: T, steps: string[] }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-bench-test-'))
  const before = process.env.TMPDIR
  process.env.TMPDIR = tmp
  t.teardown(() => {
    if (before === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = before
    fs.rmSync(tmp, { recursive: true, force: true })
  })
  const steps: string[] = []
  const figures = await run((step) => steps.push(step))
  t.deepEqual(fs.readdirSync(tmp), [], 'every folder the section made is removed')
  t.deepEqual(childProcesses(), [], 'every process the section started is stopped')
  return { figures, steps }
}

// This process's children but esbuild's service, which the build keeps for the next one.
function childProcesses (): string[] {
  const pids = fs.readdirSync('/proc/self/task').flatMap((tid) => fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').split(' ').filter(Boolean))
  return pids.map((pid) => {
    try {
      return `${pid} ${fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}`
    } catch {
      return ''
    }
  }).filter((p) => p !== '' && !p.endsWith(' esbuild'))
}

// Every figure is in the report: changing any one leaf of the measured sections'
// figures changes the text. The memory breakdowns name only parts of 0.5 MiB or more.
function reportShowsEveryFigure (t: ExecutionContext, figures: BenchFigures): void {
  const report = renderReport(figures)
  t.notRegex(report, /undefined|NaN/)
  const tinyPart = (at: string[]): boolean => at.at(-1) === 'part' && (valueAt(figures, [...at.slice(0, -1), 'mib']) as number) < 0.5
  const measured = leaves(figures).filter((at) => at.length > 1 && !tinyPart(at))
  const hidden = measured.filter((at) => renderReport(withChanged(figures, at)) === report)
  t.deepEqual(hidden, [], 'figures the report does not show')
}

function leaves (value: unknown, at: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [at]
  return Object.entries(value).flatMap(([key, v]) => leaves(v, [...at, key]))
}

function valueAt (value: unknown, at: string[]): unknown {
  return at.reduce((o, key) => (o as Record<string, unknown>)[key], value)
}

function withChanged (figures: BenchFigures, at: string[]): BenchFigures {
  const copy = structuredClone(figures)
  const parent = valueAt(copy, at.slice(0, -1)) as Record<string, unknown>
  const key = at[at.length - 1]
  const old = parent[key]
  parent[key] = typeof old === 'number' ? old * 2 + 1e6 : typeof old === 'boolean' ? !old : typeof old === 'string' ? `${old}✱` : 1e6
  return copy
}

test.serial('the node section sizes every artifact and runs the node on Bare and Node.js; the report shows every figure', async (t) => {
  const { figures: node, steps } = await section(t, (progress) => benchNode({ runs: 1, progress }))

  t.deepEqual(Object.keys(JSON.parse(renderJson({ node, bridge: null, storage: null, fleet: null, lan: null, idle: null, agent: null, nat: null, budget: null }))),
    ['machine', 'runs', 'buildMs', 'sizes', 'readyMs', 'idleMaxRssMiB', 'emptyRuntimeMaxRssMiB'])
  t.deepEqual(Object.keys(node.sizes), ['linux-x64 bare', 'linux-x64 node', 'linux-arm64 bare', 'linux-arm64 bare tls', 'linux-arm64 node'])
  t.true(node.sizes['linux-arm64 bare tls'].artifactBytes > node.sizes['linux-arm64 bare'].artifactBytes + 1024 * 1024, 'bare-tls is over a MiB of arm64 code')
  for (const size of Object.values(node.sizes)) t.true(size.bundleBytes > 0 && size.jsBytes > size.bundleBytes && size.artifactBytes > size.jsBytes)
  t.true(node.sizes['linux-x64 bare'].runtimeIncluded)
  t.false(node.sizes['linux-x64 node'].runtimeIncluded)
  t.is(node.buildMs.all.length, 1)
  for (const runtime of ['bare', 'node'] as const) {
    t.true(node.readyMs[runtime] > 0)
    t.true(node.idleMaxRssMiB[runtime] > node.emptyRuntimeMaxRssMiB[runtime], 'a node takes more than its empty runtime')
    t.true(node.emptyRuntimeMaxRssMiB[runtime] > 0)
  }
  t.deepEqual(steps, ['node build run 1/1', 'node artifacts for linux-x64 and linux-arm64, Bare and Node.js',
    'node idle run 1/1 (bare)', 'node idle run 1/1 (node)', 'node empty runtime (bare)', 'node empty runtime (node)'])
  reportShowsEveryFigure(t, { node, bridge: null, storage: null, fleet: null, lan: null, idle: null, agent: null, nat: null, budget: null })
})

test.serial('the bridge section gets every QoS 1 reading into the node\'s feed and to mosquitto_sub, and reads them remotely; the report shows every figure', async (t) => {
  const messages = 500
  const { figures: bridge, steps } = await section(t, (progress) => benchBridge({ messages, runs: 1, progress }))

  t.deepEqual(Object.keys(JSON.parse(renderJson({ node: null, bridge, storage: null, fleet: null, lan: null, idle: null, agent: null, nat: null, budget: null }))), ['bridge'])
  t.is(bridge.messages, messages)
  t.is(bridge.ingest.qos1.node.arrived, messages)
  t.is(bridge.ingest.qos1.mosquittoSub.arrived, messages)
  t.deepEqual(bridge.ingest.qos1.node.notes, [])
  for (const qos of ['qos0', 'qos1'] as const) {
    for (const who of ['node', 'mosquittoSub'] as const) {
      const s = bridge.ingest[qos][who]
      t.true(s.arrived > 0 && s.arrived <= messages, `${qos} ${who}: ${s.arrived} arrived`)
      t.true(s.msgPerS > 0 && s.publisherMsgPerS > 0)
      t.is(s.allMsgPerS.length, 1)
    }
  }
  t.is(bridge.latency.readings, 500)
  t.true(bridge.latency.missing < bridge.latency.readings)
  t.true(bridge.latency.p50Ms <= bridge.latency.p99Ms && bridge.latency.p99Ms <= bridge.latency.maxMs)
  t.true(bridge.maxRssMiB.idle > 0 && bridge.maxRssMiB.qos0Stream > 0 && bridge.maxRssMiB.qos1Stream > 0)
  t.regex(bridge.broker.mosquitto, /^\d/)
  t.true(steps.includes('bridge qos1 run 1/1 (node)') && steps.includes('bridge qos1 run 1/1 (mosquitto_sub)') && steps.includes('bridge latency run 1/1'))
  reportShowsEveryFigure(t, { node: null, bridge, storage: null, fleet: null, lan: null, idle: null, agent: null, nat: null, budget: null })
})

test.serial('the storage section replicates a core to the node and to plain corestore, fetches it after the writer exits and keeps every small core; the report shows every figure', async (t) => {
  const cores = 20
  const { figures: storage, steps } = await section(t, (progress) => benchStorage({ coreMiB: 8, cores, runs: 1, command: 'roost bench (test)', progress }))

  t.deepEqual(Object.keys(JSON.parse(renderJson({ node: null, bridge: null, storage, fleet: null, lan: null, idle: null, agent: null, nat: null, budget: null }))), ['storage'])
  for (const receiver of ['node', 'plain', 'plainRoostStorage'] as const) {
    const r = storage.replication[receiver]
    t.true(r.mibPerS > 0 && r.maxRssMiB > 0, receiver)
    t.is(r.allMibPerS.length, 1)
  }
  t.like(storage.replication, { board: 'raspberry-pi-4b', memtableMiB: 4 })
  t.true(storage.replication.nodeToPlainSameSettings > 0)
  t.is(storage.fetchAfterWriterExit.mib, 8)
  t.true(storage.fetchAfterWriterExit.fromNode.mibPerS > 0 && storage.fetchAfterWriterExit.fromPlain.mibPerS > 0)
  const m = storage.manyCores
  t.is(m.cores, cores)
  t.true(m.peakOpenCores <= m.maxOpenCores)
  t.true(m.empty.rssMiB > 0 && m.keepingMaxRssMiB >= m.empty.maxRssMiB)
  t.true(m.restarted.anonMiB > 0 && m.restarted.fileMiB > 0 && m.restarted.breakdown.length > 0)
  t.true(steps.includes('storage replication run 1/1 (node)') && steps.some((s) => s.startsWith('storage many cores')))
  reportShowsEveryFigure(t, { node: null, bridge: null, storage, fleet: null, lan: null, idle: null, agent: null, nat: null, budget: null })
})

test.serial('the fleet section provisions a fleet twice, the second time writing nothing, asks every running node, and scores the units; the report shows every figure', async (t) => {
  const { figures: fleet, steps } = await section(t, (progress) => benchFleet({ devices: 8, nodes: 3, runs: 1, progress }))
  t.deepEqual(Object.keys(JSON.parse(renderJson({ node: null, bridge: null, storage: null, fleet, lan: null, idle: null, agent: null, nat: null, budget: null }))), ['fleet'])
  t.like(fleet.provision, { devices: 8, againFiles: 0 })
  t.true(fleet.provision.firstFiles > 8, String(fleet.provision.firstFiles))
  t.like(fleet.status, { nodes: 3, up: 3, runs: 1 })
  t.true(fleet.exposure.length >= 5 && fleet.exposure.every((e) => e.score > 0 && e.score < 10))
  t.true(fleet.sizes.length === 5 && fleet.sizes.every((z) => z.bytes > 0), JSON.stringify(fleet.sizes))
  t.true(steps.some((s) => s.startsWith('fleet provision')) && steps.some((s) => s.startsWith('fleet status run 1/1')))
  reportShowsEveryFigure(t, { node: null, bridge: null, storage: null, fleet, lan: null, idle: null, agent: null, nat: null, budget: null })
})

test.serial('the lan section streams reading datagrams into the node until each is acknowledged and stored; the report shows every figure', async (t) => {
  const { figures: lan, steps } = await section(t, (progress) => benchLan({ readings: 2000, window: 64, runs: 1, progress }))
  t.deepEqual(Object.keys(JSON.parse(renderJson({ node: null, bridge: null, storage: null, fleet: null, lan, idle: null, agent: null, nat: null, budget: null }))), ['lan'])
  t.like(lan, { readings: 2000, window: 64, runs: 1 })
  t.true(lan.msgPerS > 0 && lan.cpuPercent > 0 && lan.maxRssMiB > 0, JSON.stringify(lan))
  t.is(lan.allMsgPerS.length, 1)
  t.deepEqual(steps.slice(1), ['lan run 1/1'])
  reportShowsEveryFigure(t, { node: null, bridge: null, storage: null, fleet: null, lan, idle: null, agent: null, nat: null, budget: null })
})

test.serial('the idle section measures an always-on node beside a node with no roles and an empty runtime; the report shows every figure', async (t) => {
  const { figures: idle, steps } = await section(t, (progress) => benchIdle({ periodMs: 3000, settleMs: 500, progress }))
  t.deepEqual(Object.keys(JSON.parse(renderJson({ node: null, bridge: null, storage: null, fleet: null, lan: null, idle, agent: null, nat: null, budget: null }))), ['idle'])
  t.like(idle, { board: 'raspberry-pi-3b', roles: ['storage', 'bridge'], periodS: 3, settleS: 0.5, keptCores: 20, readings: 10 })
  for (const who of ['node', 'noRoles', 'emptyRuntime'] as const) {
    const p = idle[who]
    t.true(p.cpuPercent >= 0 && p.maxRssMiB > 0 && p.threads.length > 0, who)
    t.is(p.cpuPercentBySlice.length, 10)
  }
  t.true(idle.node.maxRssMiB > idle.emptyRuntime.maxRssMiB)
  t.true(steps.some((s) => s.startsWith('idle: measuring for 3 s')))
  reportShowsEveryFigure(t, { node: null, bridge: null, storage: null, fleet: null, lan: null, idle, agent: null, nat: null, budget: null })
})

test.serial('the agent section builds both routers\' packages, runs the shipped agent under lua5.3 through a burst from Mosquitto until every reading is acknowledged, and seals under Lua and sodium; the report shows every figure', async (t) => {
  const { figures: agent, steps } = await section(t, (progress) => benchAgent({ readings: 50, seals: 20, idleMs: 500, runs: 1, progress }))
  t.deepEqual(Object.keys(JSON.parse(renderJson({ node: null, bridge: null, storage: null, fleet: null, lan: null, idle: null, agent, nat: null, budget: null }))), ['agent'])
  t.like(agent, { readings: 50, runs: 1, memory: { budgetBoard: 'tplink-archer-c7-v5', budgetMiB: 6, idleS: 0.5 }, sealing: { readings: 20, topicBytes: 24, payloadBytes: 5 } })
  t.deepEqual(agent.packages.map((p) => p.board), ['tplink-archer-c7-v5', 'linksys-wrt3200acm'])
  for (const p of agent.packages) {
    t.true(p.ipkBytes > 0 && p.luaBytes > 0 && p.installedBytes > p.luaBytes && p.installedSizeField > p.installedBytes, JSON.stringify(p))
    t.regex(p.file, new RegExp(`^roost-agent_.*_${p.openwrtArch}\\.ipk$`))
  }
  const m = agent.memory
  t.true(m.luaSocketOnlyRssMiB > 0 && m.idleRssMiB > 0 && m.burstMaxRssMiB >= m.idleRssMiB, JSON.stringify(m))
  t.true(agent.cpu.secondsPer1000 >= 0 && agent.cpu.burstMs > 0, JSON.stringify(agent.cpu))
  t.true(agent.sealing.luaPerS > 0 && agent.sealing.sodiumPerS > 0 && agent.sealing.sodiumToLua > 0, JSON.stringify(agent.sealing))
  t.deepEqual(steps, ['agent: building the package for tplink-archer-c7-v5', 'agent: building the package for linksys-wrt3200acm',
    'agent: lua5.3 with LuaSocket alone', 'agent run 1/1 (idle 0.5 s, then 50 readings from Mosquitto)', 'agent sealing run 1/1 (20 readings, lua5.3 and sodium)'])
  reportShowsEveryFigure(t, { node: null, bridge: null, storage: null, fleet: null, lan: null, idle: null, agent, nat: null, budget: null })
})

test.serial('the nat section finds which home pairs connect directly, through the relay or not at all, and measures the relay; the report shows every figure', async (t) => {
  const why = whyNoNatBench()
  if (why !== null) {
    if (process.env.CI === 'true') throw new Error(`the nat section builds network namespaces and ${why}; CI must run the tests as root`)
    return t.log(`skipped: ${why}`)
  }
  const kinds = ['port-restricted', 'symmetric'] as const
  const { figures: nat, steps } = await section(t, (progress) => benchNat({ runs: 1, mib: 4, connections: 3, kinds: [...kinds], progress }))
  t.deepEqual(Object.keys(JSON.parse(renderJson({ node: null, bridge: null, storage: null, fleet: null, lan: null, idle: null, agent: null, nat, budget: null }))), ['nat'])
  t.deepEqual(nat.withoutRelay.map((c) => `${c.from}→${c.to}`), kinds.flatMap((from) => kinds.map((to) => `${from}→${to}`)))
  const cell = (cells: typeof nat.withRelay, from: string, to: string) => cells.find((c) => c.from === from && c.to === to)!
  t.like(cell(nat.withoutRelay, 'port-restricted', 'port-restricted'), { direct: 1, failed: 0 })
  t.like(cell(nat.withoutRelay, 'symmetric', 'symmetric'), { direct: 0, relayed: 0, failed: 1, medianMs: null, codes: ['HOLEPUNCH_FAILED'] })
  t.like(cell(nat.withRelay, 'symmetric', 'symmetric'), { relayed: 1, failed: 0 })
  for (const c of nat.withRelay) t.is(c.failed, 0, `${c.from}→${c.to} with a relay: ${c.codes.join(', ')}`)
  t.true(nat.throughput.directMibPerS > 0 && nat.throughput.relayedMibPerS > 0)
  t.like(nat.relayMemory, { connections: 3, sessions: 6 })
  t.true(nat.relayMemory.rssMiB > 0 && nat.relayMemory.idleRssMiB > 0)
  t.true(steps.includes('nat matrix without a relay, run 1/1') && steps.includes('nat throughput run 1/1'))
  reportShowsEveryFigure(t, { node: null, bridge: null, storage: null, fleet: null, lan: null, idle: null, agent: null, nat, budget: null })
})

test.serial('the budget section runs a board\'s default roles through every phase inside its memory budget, with a lever beside the defaults, and bursts without its budget (in its RAM); the report shows every figure', async (t) => {
  const { figures: budget, steps } = await section(t, (progress) => benchBudget({
    idleMs: 1000, settleMs: 500, messages: 200, cores: 5, coreMiB: 2, boards: ['raspberry-pi-3b'], levers: ['malloc-arenas-2'], command: 'roost bench (test)', progress
  }))
  t.deepEqual(Object.keys(JSON.parse(renderJson({ node: null, bridge: null, storage: null, fleet: null, lan: null, idle: null, agent: null, nat: null, budget }))), ['budget'])
  t.like(budget.sizes, { idleS: 1, settleS: 0.5, messages: 200, cores: 5, coreMiB: 2 })
  const budgetMiB = loadBoard('raspberry-pi-3b').memoryBudgetMb
  t.deepEqual(budget.runs.map((r) => [r.boards, r.lever, r.budgetMiB]), [[['raspberry-pi-3b'], 'current defaults', budgetMiB], [['raspberry-pi-3b'], 'malloc-arenas-2', budgetMiB]])
  for (const run of budget.runs) {
    t.deepEqual(run.phases.map((p) => p.phase), ['burst qos0', 'burst qos1', 'keep cores', 'take core', 'idle'])
    for (const p of run.phases) {
      t.is(p.failed, null, `${run.lever}, ${p.phase}`)
      t.true(p.maxRssMiB > 0 && p.atPeak.rssMiB >= p.atEnd.rssMiB && p.atEnd.anonMiB > 0 && p.atEnd.fileMiB > 0, JSON.stringify(p))
      if (budget.noCgroup === null) t.like(p, { limitMiB: budgetMiB, oomKills: 0 })
    }
  }
  t.regex(budget.runs[0].phases[0].did, /^200 of 200 readings in the feed/)
  const ramMiB = loadBoard('raspberry-pi-3b').ramMb
  const limit = budget.noCgroup === null ? ramMiB : null
  t.deepEqual(budget.withoutBudget?.phases.map((p) => [p.phase, p.limitMiB, p.oomKills, p.failed]), [['burst qos0', limit, limit && 0, null], ['burst qos1', limit, limit && 0, null]])
  t.is(budget.withoutBudget?.budgetMiB, ramMiB)
  t.true(steps.includes('budget: raspberry-pi-3b, malloc-arenas-2: take core') &&
    steps.includes(`budget: raspberry-pi-3b, no budget: the board's RAM (${ramMiB} MiB) as the limit: burst qos1`), steps.join('; '))
  if (budget.noCgroup !== null) t.log(`no memory cgroup: ${budget.noCgroup}`)
  reportShowsEveryFigure(t, { node: null, bridge: null, storage: null, fleet: null, lan: null, idle: null, agent: null, nat: null, budget })
})
