// The Lua agent section's figures, as `roost bench --json` prints them under "agent".

// From the issue and the boards' files, printed for context and never asserted: the
// whole package within 64 KB (read as KiB), and the board's memory_budget_mb for the agent.
export const AIMS = { packageBytes: 64 * 1024 } as const

export interface PackageFigures {
  board: string
  openwrtArch: string
  file: string
  // The .ipk as `roost build --board ID` writes it.
  ipkBytes: number
  // roost-agent.lua, installed as /usr/bin/roost-agent.
  luaBytes: number
  // The files the package installs (data.tar.gz unpacked), and the Installed-Size its
  // control file declares (the data tar's bytes, headers and padding included).
  installedBytes: number
  installedSizeField: number
}

export interface MemoryFigures {
  // The board whose memory_budget_mb the figures are held against.
  budgetBoard: string
  budgetMiB: number
  // lua5.3 that has loaded LuaSocket and does nothing: the floor under the agent.
  luaSocketOnlyRssMiB: number
  // The agent connected to Mosquitto, idle this long: its RSS then (median of the runs).
  idleS: number
  idleRssMiB: number
  allIdleRssMiB: number[]
  // Of the idle RSS, the agent's own (anonymous) pages and those of mapped files: the
  // interpreter, LuaSocket and the C library (glibc here, musl on OpenWrt) (medians).
  idleAnonMiB: number
  idleFileMiB: number
  // VmHWM after the burst: the most the agent ever held (median of the runs).
  burstMaxRssMiB: number
  allBurstMaxRssMiB: number[]
}

export interface CpuFigures {
  // utime + stime of the agent from the first publish to the last acknowledgement it
  // read, per 1,000 readings (median of the runs).
  secondsPer1000: number
  allSecondsPer1000: number[]
  // The same span in wall-clock time, per burst (median): load on the machine stretches it.
  burstMs: number
  allBurstMs: number[]
  // Readings sent again over all runs (an acknowledgement later than a second).
  retransmitted: number
}

export interface SealingFigures {
  // Readings sealed per run: a 24-byte topic and a 5-byte payload each.
  readings: number
  topicBytes: number
  payloadBytes: number
  // Rates from CPU time (os.clock under Lua, process.cpuUsage under Node.js), medians.
  luaPerS: number
  allLuaPerS: number[]
  sodiumPerS: number
  allSodiumPerS: number[]
  // sodium's rate over Lua's.
  sodiumToLua: number
}

export interface AgentFigures {
  // Readings per burst from Mosquitto, and the runs the medians are over.
  readings: number
  runs: number
  loadavg: { before: number[], after: number[] }
  lua: string
  mosquitto: string
  packages: PackageFigures[]
  memory: MemoryFigures
  cpu: CpuFigures
  sealing: SealingFigures
  aims: typeof AIMS
}
