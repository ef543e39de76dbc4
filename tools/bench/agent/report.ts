// The Lua agent section as `roost bench` prints it.
import type { AgentFigures, PackageFigures } from './figures.ts'

const count = (n: number): string => n.toLocaleString('en-US')
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`
const mib = (n: number): string => `${n.toFixed(1)} MiB`
const every = (values: number[], show: (n: number) => string = String): string => values.map(show).join(' ')

export function agentReport (f: AgentFigures): string {
  const m = f.memory
  const c = f.cpu
  const s = f.sealing
  const runs = `${f.runs} run${f.runs === 1 ? '' : 's'}`
  const packageRow = (p: PackageFigures): string =>
    `  ${`${p.board} (${p.openwrtArch})`.padEnd(46)}${kib(p.ipkBytes).padStart(10)}${kib(p.luaBytes).padStart(11)}${kib(p.installedBytes).padStart(11)}` +
    `${count(p.installedSizeField).padStart(16)}   ${p.file}`
  return [
    '',
    `Lua agent: lua5.3 ${f.lua} with LuaSocket, mosquitto ${f.mosquitto}, medians of ${runs}; load ${f.loadavg.before.join(' ')} → ${f.loadavg.after.join(' ')}`,
    `package as roost build --board ID makes it (aim: whole package ≤ ${f.aims.packageBytes / 1024} KiB)`,
    `  ${'board (opkg architecture)'.padEnd(46)}${'.ipk'.padStart(10)}${'agent.lua'.padStart(11)}${'installed'.padStart(11)}${'Installed-Size'.padStart(16)}   file`,
    ...f.packages.map(packageRow),
    '  (installed: the files the package puts on flash; Installed-Size: the bytes its control file declares, tar headers included)',
    `memory under ${m.budgetBoard}'s memory_budget_mb of ${m.budgetMiB} MiB: lua5.3 with LuaSocket alone ${mib(m.luaSocketOnlyRssMiB)}; ` +
      `the agent connected and idle ${m.idleS} s ${mib(m.idleRssMiB)} RSS (every run: ${every(m.allIdleRssMiB, (n) => n.toFixed(1))}; ` +
      `anonymous ${mib(m.idleAnonMiB)}, file-backed ${mib(m.idleFileMiB)}); ` +
      `through ${count(f.readings)} readings at most ${mib(m.burstMaxRssMiB)} (VmHWM; every run: ${every(m.allBurstMaxRssMiB, (n) => n.toFixed(1))})`,
    `CPU: ${c.secondsPer1000.toFixed(2)} s per 1,000 readings, first publish to last acknowledgement, broker → sealed → acknowledged ` +
      `(utime + stime; every run: ${every(c.allSecondsPer1000, (n) => n.toFixed(3))}); the burst took ${count(c.burstMs)} ms wall-clock ` +
      `(every run: ${every(c.allBurstMs, count)}); readings sent again: ${count(c.retransmitted)}`,
    `sealing ${count(s.readings)} readings (${s.topicBytes}-byte topic, ${s.payloadBytes}-byte payload, fresh nonce each), per CPU second: ` +
      `lua5.3 ${count(s.luaPerS)}/s (every run: ${every(s.allLuaPerS, count)}), sodium-universal in Node.js ${count(s.sodiumPerS)}/s ` +
      `(every run: ${every(s.allSodiumPerS, count)}; the same readings, after an untimed pass, repeated for 0.5 CPU s); sodium/Lua ${s.sodiumToLua.toFixed(1)}`,
    'CPU seconds and sealing rates are CPU time, little changed by other load; the burst\'s wall-clock time is not. This is x86-64,',
    'not a router: a MIPS 74Kc at 750 MHz is many times slower, so read the CPU figures as a floor (the agent has not run on one).',
    ''
  ].join('\n')
}
