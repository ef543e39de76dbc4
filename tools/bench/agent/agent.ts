// The Lua agent section of `roost bench`, side by side in one run on this machine: the
// agent's package for the routers as `roost build` makes it, against the 64 KB aim; the
// shipped agent under the real lua5.3 with LuaSocket, idle and through a burst of readings
// from a real Mosquitto to a receiver that acknowledges them, its memory against the
// board's memory_budget_mb and its CPU seconds per 1,000 readings; and sealing under Lua
// against sodium. This machine is x86-64: a router's MIPS or ARM core is many times slower,
// so the CPU figures are a floor, not a router's. Every
// broker, agent, receiver and folder started here is stopped or removed, whatever happens.
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadBoard } from '../../config/boards.ts'
import { HarnessError } from '../../harness/errors.ts'
import { luaAvailable } from '../../harness/lua-agent.ts'
import { mosquittoVersion } from '../../harness/mosquitto.ts'
import { loadavg, median, round } from '../measure.ts'
import { checkCounts, closers, progressToStderr, type Progress } from '../section.ts'
import { agentBurst, luaSocketOnlyRssKb, type BurstSample } from './burst.ts'
import { AIMS, type AgentFigures, type PackageFigures } from './figures.ts'
import { buildPackage } from './package.ts'
import { buildSealBench, luaSeal, PAYLOAD, sodiumSealRate, TOPIC } from './sealing.ts'

export type { AgentFigures } from './figures.ts'
export { agentReport } from './report.ts'

export interface AgentOptions {
  // Readings per burst from Mosquitto.
  readings: number
  // Readings sealed per sealing run, under Lua and with sodium each.
  seals: number
  // How long the agent idles, connected, before its idle RSS is read.
  idleMs: number
  runs: number
  progress?: Progress
}

// The lua-agent boards: every one gets the same Lua file in its own package. The first
// one's memory_budget_mb is what the agent's memory is held against.
export const PACKAGE_BOARDS = ['tplink-archer-c7-v5', 'linksys-wrt3200acm'] as const

// Sealing runs under Lua: a few thousand readings take a second or two here.
const sealTimeoutMs = (readings: number): number => 30_000 + 10 * readings

export async function benchAgent (opts: AgentOptions): Promise<AgentFigures> {
  checkCounts('agent', { readings: opts.readings, seals: opts.seals, runs: opts.runs })
  if (!Number.isInteger(opts.idleMs) || opts.idleMs < 0) throw HarnessError.BAD_OPTION('agent: idleMs', `must be a whole number ≥ 0, got ${opts.idleMs}`)
  if (!luaAvailable()) throw HarnessError.TOOL_MISSING('lua5.3 with LuaSocket', 'lua5.3 and lua-socket')
  const progress = opts.progress ?? progressToStderr
  const before = loadavg()
  const opened = closers()
  try {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-bench-agent-'))
    opened.add(() => fs.rmSync(work, { recursive: true, force: true }))

    const packages: PackageFigures[] = []
    let luaFile = ''
    for (const id of PACKAGE_BOARDS) {
      progress(`agent: building the package for ${id}`)
      const built = await buildPackage(loadBoard(id), path.join(work, id))
      packages.push(built.figures)
      luaFile ||= built.luaFile
    }
    const budgetBoard = loadBoard(PACKAGE_BOARDS[0])

    progress('agent: lua5.3 with LuaSocket alone')
    const luaOnlyKb = await luaSocketOnlyRssKb()
    const bursts: BurstSample[] = []
    for (let run = 0; run < opts.runs; run++) {
      progress(`agent run ${run + 1}/${opts.runs} (idle ${opts.idleMs / 1000} s, then ${opts.readings} readings from Mosquitto)`)
      const run_ = closers()
      try {
        bursts.push(await agentBurst({ luaFile, work, readings: opts.readings, idleMs: opts.idleMs }, `run-${run}`, run_))
      } finally {
        await run_.closeAll()
      }
    }

    const sealBench = buildSealBench(path.join(work, 'seal-bench.lua'))
    const keys = { id: crypto.randomBytes(8).toString('hex'), key: crypto.randomBytes(32).toString('hex') }
    const luaPerS: number[] = []
    const sodiumPerS: number[] = []
    for (let run = 0; run < opts.runs; run++) {
      progress(`agent sealing run ${run + 1}/${opts.runs} (${opts.seals} readings, lua5.3 and sodium)`)
      const lua = await luaSeal(sealBench, opts.seals, keys, sealTimeoutMs(opts.seals))
      if (lua.last.sequence !== opts.seals || lua.last.topic !== TOPIC || lua.last.payload !== PAYLOAD) {
        throw HarnessError.CHECK_FAILED(`the last reading lua5.3 sealed is not reading ${opts.seals} of ${TOPIC}: ${JSON.stringify(lua.last)}`)
      }
      // os.clock ticks in microseconds: a tiny count may read as no time at all.
      luaPerS.push(Math.round(opts.seals / Math.max(lua.cpuSeconds, 1e-6)))
      sodiumPerS.push(Math.round(sodiumSealRate(opts.seals, keys)))
    }

    const mib = (kb: number): number => round(kb / 1024)
    // In ms, so that measure.ts's rounding to one place keeps three in seconds.
    const msPer1000 = bursts.map((b) => b.cpuMs * 1000 / opts.readings)
    const sealing = { lua: Math.round(median(luaPerS)), sodium: Math.round(median(sodiumPerS)) }
    const burstMs = bursts.map((b) => Math.round(b.burstMs))
    return {
      readings: opts.readings,
      runs: opts.runs,
      loadavg: { before, after: loadavg() },
      lua: luaVersion(),
      mosquitto: mosquittoVersion(),
      packages,
      memory: {
        budgetBoard: budgetBoard.id,
        budgetMiB: budgetBoard.memoryBudgetMb,
        luaSocketOnlyRssMiB: mib(luaOnlyKb),
        idleS: opts.idleMs / 1000,
        idleRssMiB: mib(median(bursts.map((b) => b.idleRssKb))),
        allIdleRssMiB: bursts.map((b) => mib(b.idleRssKb)),
        idleAnonMiB: median(bursts.map((b) => b.idleAnonMiB)),
        idleFileMiB: median(bursts.map((b) => b.idleFileMiB)),
        burstMaxRssMiB: mib(median(bursts.map((b) => b.maxRssKb))),
        allBurstMaxRssMiB: bursts.map((b) => mib(b.maxRssKb))
      },
      cpu: {
        secondsPer1000: seconds(median(msPer1000)),
        allSecondsPer1000: msPer1000.map(seconds),
        burstMs: Math.round(median(burstMs)),
        allBurstMs: burstMs,
        retransmitted: bursts.reduce((sum, b) => sum + b.retransmitted, 0)
      },
      sealing: {
        readings: opts.seals,
        topicBytes: Buffer.byteLength(TOPIC),
        payloadBytes: Buffer.byteLength(PAYLOAD),
        luaPerS: sealing.lua,
        allLuaPerS: luaPerS,
        sodiumPerS: sealing.sodium,
        allSodiumPerS: sodiumPerS,
        sodiumToLua: round(sealing.sodium / sealing.lua)
      },
      aims: AIMS
    }
  } finally {
    await opened.closeAll()
  }
}

// Linux counts CPU time in 10 ms ticks: three places are all there is.
function seconds (ms: number): number {
  return Math.round(ms) / 1000
}

// "Lua 5.3.6  Copyright (C) 1994-2020 Lua.org, PUC-Rio" → "5.3.6"
function luaVersion (): string {
  const { stdout } = spawnSync('lua5.3', ['-v'], { encoding: 'utf8', timeout: 10_000 })
  return /Lua (\S+)/.exec(stdout)?.[1] ?? 'unknown'
}
