// The figures of `roost bench` as the command prints them: a text report, section by
// section, or JSON whose shape and key names the issue notes quote (the node section's
// figures at the top level, the others under "bridge" and "storage").
import type { Runtime } from '../../targets/bundle.ts'
import { agentReport, type AgentFigures } from './agent/agent.ts'
import type { BridgeFigures, IngestFigures, SubscriberFigures } from './bridge/figures.ts'
import type { BoardRun, BudgetFigures, PhaseFigures } from './budget/figures.ts'
import type { FleetFigures } from './fleet.ts'
import type { IdleFigures, IdleProcess } from './idle.ts'
import type { LanFigures } from './lan.ts'
import { round, type RssPart } from './measure.ts'
import type { Cell, NatFigures } from './nat.ts'
import type { NodeFigures } from './node.ts'
import type { SectionFailure, SectionTime } from './run.ts'
import type { StorageFigures, TransferFigures } from './storage/figures.ts'
import { IDLE_MS as STORAGE_IDLE_MS } from './storage/peers.ts'

// The sections that were measured; null for one that was not.
export interface BenchFigures {
  node: NodeFigures | null
  bridge: BridgeFigures | null
  storage: StorageFigures | null
  fleet: FleetFigures | null
  lan: LanFigures | null
  idle: IdleFigures | null
  agent: AgentFigures | null
  nat: NatFigures | null
  budget: BudgetFigures | null
}

// How the run went: its wall time, each section's time, and the sections that failed.
export interface RunInfo { wallMs: number, sections: SectionTime[], failures: SectionFailure[] }

export function renderJson (f: BenchFigures, run: RunInfo | null = null): string {
  const { node, ...rest } = f
  return JSON.stringify({
    ...node,
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null)),
    ...(run ? { run } : {})
  }, null, 2) + '\n'
}

export function renderReport (f: BenchFigures): string {
  return (f.node ? nodeReport(f.node) : '') + (f.bridge ? bridgeReport(f.bridge) : '') + (f.storage ? storageReport(f.storage) : '') +
    (f.fleet ? fleetReport(f.fleet) : '') + (f.lan ? lanReport(f.lan) : '') + (f.idle ? idleReport(f.idle) : '') +
    (f.agent ? agentReport(f.agent) : '') + (f.nat ? natReport(f.nat) : '') + (f.budget ? budgetReport(f.budget) : '')
}

export function budgetReport (f: BudgetFigures): string {
  const z = f.sizes
  const mib = (n: number | null): string => n === null ? '-' : n.toFixed(1)
  const split = (r: { rssMiB: number, anonMiB: number, fileMiB: number }): string => `${r.rssMiB.toFixed(1)} (${r.anonMiB.toFixed(1)}/${r.fileMiB.toFixed(1)})`
  const row = (p: PhaseFigures): string =>
    `  ${p.phase.padEnd(12)}${mib(p.limitMiB).padStart(7)}${mib(p.maxChargedMiB).padStart(9)}${(p.oomKills === null ? '-' : String(p.oomKills)).padStart(5)}` +
    `${p.maxRssMiB.toFixed(1).padStart(8)}   ${split(p.atPeak).padEnd(20)}${split(p.atEnd).padEnd(20)}${count(p.majorFaults).padStart(9)}${`${p.seconds.toFixed(0)} s`.padStart(6)}  ` +
    (p.failed === null ? p.did : `FAILED: ${p.failed}${p.did === '' ? '' : ` (${p.did})`}`)
  const run = (r: BoardRun, title: string): string[] => [
    `${title}: ${r.boards.join(', ')} (${r.roles.join(', ')}); budget ${r.budgetMiB} MiB, memtables ${r.memtableMiB} MiB; ${r.lever}`,
    ...r.phases.map(row)
  ]
  return [
    '',
    `memory inside the budget: each board's default roles on Bare from the artifact (this machine's Bare runs the bundle with the board's config), ` +
      `each phase a fresh start over the same data in a memory cgroup of the board's memory_budget_mb; load ${f.loadavg.before.join(' ')} → ${f.loadavg.after.join(' ')} (highest 1-min ${f.loadavg.highest.toFixed(2)})`,
    `sizes: bursts of ${count(z.messages)} readings, ${count(z.cores)} cores kept, a ${z.coreMiB} MiB core taken in, idle ${z.idleS} s after ${z.settleS} s ` +
      `(the issue's: 20,000, 1,000, 256 MiB and 10 min: --budget-messages 20000 --budget-cores 1000 --budget-core-mib 256 --budget-idle-seconds 600)`,
    `command: ${f.command}`,
    ...(f.noCgroup === null ? [] : [`no memory cgroup here (${f.noCgroup}): phases ran without one`]),
    '',
    '  phase         limit  charged  OOM   VmHWM   RSS at peak (anon/file) at the end          major   time',
    '                  MiB      MiB          MiB   MiB                 MiB                      faults',
    ...f.runs.flatMap((r) => [...run(r, 'board'), '']),
    ...(f.withoutBudget === null ? [] : [...run(f.withoutBudget, 'without its budget'), '']),
    `aims from the issue, for context only: idle node (storage + bridge) ≤ ${f.aims.idleRssMiB} MiB RSS; burst peak ≤ ${f.aims.burstRssMiB} MiB RSS without a cgroup; 0 OOM kills in every phase.`,
    'without its budget: the node sizes its heap from the memory it can have, so a cgroup of the board\'s RAM stands in for that board with no budget',
    '(no cgroup on this machine is a board with its RAM: bursts peak 30 % higher).',
    'charged: the most the cgroup held: anonymous memory and page cache (what the node wrote, and its Bare binary, bundle and addons, dropped from the',
    'page cache before each phase so that, as on a board, the node\'s cgroup pays for reading them). RSS: VmHWM, and VmRSS (RssAnon/RssFile) at the',
    'largest of the samples taken every 250 ms and at the end; major faults: pages read from disk (a node whose binary does not fit beside its',
    'own memory reads it again and again). x86-64 Bare\'s file pages stand in for the arm64 binary\'s.',
    ''
  ].join('\n')
}

export function natReport (f: NatFigures): string {
  const cellText = (c: Cell): string => {
    const parts = (['direct', 'relayed', 'failed'] as const).filter((o) => c[o] > 0).map((o) => c[o] === f.runs ? o : `${o} ${c[o]}/${f.runs}`)
    return `${parts.join(', ')}${c.medianMs !== null ? ` ${count(Math.round(c.medianMs))} ms` : ''}${c.codes.length > 0 ? ` (${c.codes.join(', ')})` : ''}`
  }
  const width = 34
  // The cells come row by row: from each kind, to each kind.
  const rows = (cells: Cell[]): Cell[][] => f.kinds.map((_, i) => cells.slice(i * f.kinds.length, (i + 1) * f.kinds.length))
  const table = (title: string, cells: Cell[]): string[] => [
    title,
    `${'from \\ to'.padEnd(18)}${f.kinds.map((k) => k.padEnd(width)).join('')}`,
    ...rows(cells).map((row) => `${(row[0]?.from ?? '').padEnd(18)}${row.map((c) => cellText(c).padEnd(width)).join('')}`),
    `  every run (ms): ${cells.map((c) => `${c.from}→${c.to} ${c.allMs.length > 0 ? c.allMs.join(' ') : '-'}`).join('; ')}`
  ]
  const t = f.throughput
  const m = f.relayMemory
  return [
    '',
    `NAT traversal: \`roost ping\` from one simulated home to a Bare node in another (network namespaces, nftables NAT), ` +
      `${runsOf(f.runs)} per pair; load ${f.loadavg.before.join(' ')} → ${f.loadavg.after.join(' ')}`,
    'cone = endpoint-independent mapping and filtering; port-restricted = Linux masquerade; symmetric = a random port per destination',
    '',
    ...table('without a relay: direct, or failed with the client\'s code (median connect time over the runs that connected)', f.withoutRelay),
    '',
    ...table('with a roost relay on the public segment (--relay on the client, relays: on the node): how the connection opened', f.withRelay),
    '',
    `one stream port-restricted → port-restricted, ${t.mib} MiB per run: direct ${t.directMibPerS.toFixed(1)} MiB/s, through the relay ${t.relayedMibPerS.toFixed(1)} MiB/s ` +
      `(punching off); relayed/direct ${t.relayedToDirect.toFixed(2)} (aim ≥ ${f.aims.relayedToDirect})`,
    `  every run (MiB/s): direct ${t.allDirect.join(' ')}; relayed ${t.allRelayed.join(' ')}`,
    `relay node (Bare): VmRSS ${m.idleRssMiB.toFixed(1)} MiB idle; ${m.rssMiB.toFixed(1)} MiB (VmHWM ${m.maxRssMiB.toFixed(1)} MiB) ` +
      `relaying ${m.connections} connections between two symmetric homes (${m.sessions} sessions)`,
    ''
  ].join('\n')
}

export function idleReport (f: IdleFigures): string {
  const row = (label: string, p: IdleProcess): string =>
    `${label.padEnd(24)}${`${p.cpuPercent.toFixed(3)} %`.padStart(10)}${p.cpuMs.toFixed(0).padStart(10)}${p.wakeupsPerS.toFixed(1).padStart(11)}` +
    `${`${p.maxRssMiB.toFixed(1)} MiB`.padStart(11)}   ${p.cpuPercentBySlice.map((c) => c.toFixed(1)).join(' ')}`
  const threads = (p: IdleProcess): string => p.threads.map((t) => `${t.name} ×${t.threads} ${t.wakeupsPerS.toFixed(1)}/s ${t.cpuMs.toFixed(0)} ms`).join(', ')
  return [
    '',
    `idle: ${f.board}'s default roles (${f.roles.join(', ')}) on Bare from the artifact, holding ${count(f.keptCores)} small cores and a feed of ` +
      `${count(f.readings)} readings; measured ${f.periodS >= 60 ? `${round(f.periodS / 60)} min` : `${f.periodS} s`} after ${f.settleS} s to settle; load ${f.loadavg.before.join(' ')} → ${f.loadavg.after.join(' ')}`,
    '',
    '                        CPU, one core   CPU ms  wakeups/s    max RSS   CPU % in each tenth of the period',
    row('always-on node', f.node),
    row('node with no roles', f.noRoles),
    row('empty Bare runtime', f.emptyRuntime),
    `aim from the issue: the always-on node ≤ ${f.aims.cpuPercent} % of one core. Wakeups are context switches of all threads.`,
    `  always-on node's memory at the end: RSS ${f.memory.rssMiB.toFixed(1)} MiB (anonymous ${f.memory.anonMiB.toFixed(1)}, file-backed ` +
      `${f.memory.fileMiB.toFixed(1)}; aim ≤ ${f.aims.rssMiB} MiB); ` +
      ('skipped' in f.memory
        ? `no memory cgroup (${f.memory.skipped})`
        : `in a memory cgroup of ${f.memory.limitMiB} MiB (the board's budget): at most ${f.memory.maxChargedMiB.toFixed(1)} MiB charged, ${f.memory.oomKills} OOM kills`),
    `  always-on node's threads by name, wakeups a second and CPU: ${threads(f.node)}`,
    `  no roles: ${threads(f.noRoles)}`,
    `  empty runtime: ${threads(f.emptyRuntime)}`,
    ''
  ].join('\n')
}

export function lanReport (f: LanFigures): string {
  return [
    '',
    `LAN ingest: ${count(f.readings)} reading datagrams from one agent on loopback, ${f.window} in flight, medians of ${runsOf(f.runs)}; ` +
      `load ${f.loadavg.before.join(' ')} → ${f.loadavg.after.join(' ')}`,
    `verified, appended and acknowledged by the node (Bare): ${count(f.msgPerS)} datagrams/s (aim ≥ ${count(f.aims.msgPerS)}; every run: ${f.allMsgPerS.map(count).join(' ')})`,
    `node CPU ${f.cpuPercent}% of one core, max RSS ${f.maxRssMiB.toFixed(1)} MiB; readings sent again for a late acknowledgement: ${count(f.resent)}`,
    ''
  ].join('\n')
}

export function fleetReport (f: FleetFigures): string {
  const p = f.provision
  const s = f.status
  const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
  return [
    '',
    `fleet: load ${f.loadavg.before.join(' ')} → ${f.loadavg.after.join(' ')}`,
    `roost provision, ${count(p.devices)} devices of ${p.boards.length} boards (${p.boards.join(', ')}): ` +
      `${(p.firstMs / 1000).toFixed(1)} s, ${count(p.firstFiles)} files and artifacts written (aim < ${f.aims.provisionMs / 1000} s)`,
    `  again, nothing changed: ${(p.againMs / 1000).toFixed(1)} s, ${count(p.againFiles)} files written`,
    `roost fleet status, ${s.nodes} running Bare nodes on one loopback testnet, ${s.concurrency} at a time: ` +
      `${(s.medianMs / 1000).toFixed(2)} s (median of ${runsOf(s.runs)}: ${s.allMs.map((ms) => (ms / 1000).toFixed(2)).join(' ')}), ${s.up} up`,
    `systemd-analyze security exposure: ${f.exposure.map((e) => `${e.board} ${e.score.toFixed(1)}`).join(', ')}`,
    `sizes: ${f.sizes.map((z) => `${z.what} ${mib(z.bytes)}`).join(', ')}`,
    ''
  ].join('\n')
}

const RUNTIME_NAMES: Record<Runtime, string> = { bare: 'Bare', node: 'Node.js' }
const count = (n: number): string => n.toLocaleString('en-US')
const runsOf = (n: number): string => `${n} run${n === 1 ? '' : 's'}`

export function nodeReport (f: NodeFigures): string {
  const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(2)} MiB`
  const lines = [
    `machine: ${f.machine.cpus} × ${f.machine.model}, load ${f.machine.loadavg.join(' ')}, ${f.machine.node}; medians of ${runsOf(f.runs)}`,
    '',
    `build x86-64-mini-pc (bare):  ${f.buildMs.median.toFixed(0)} ms (every run: ${f.buildMs.all.map((ms) => ms.toFixed(0)).join(' ')})`,
    '',
    'artifact            node bundle   all JS (minified)   whole artifact   runtime included',
    ...Object.entries(f.sizes).map(([name, s]) =>
      `${name.padEnd(20)}${mb(s.bundleBytes).padStart(11)}${mb(s.jsBytes).padStart(20)}${mb(s.artifactBytes).padStart(17)}   ${s.runtimeIncluded ? 'yes' : 'no'}`),
    '',
    '                        Bare        Node.js     Bare/Node',
    `start → ready (ms)  ${f.readyMs.bare.toFixed(0).padStart(7)}    ${f.readyMs.node.toFixed(0).padStart(9)}    ${(f.readyMs.bare / f.readyMs.node).toFixed(2)}`,
    `idle node max RSS   ${f.idleMaxRssMiB.bare.toFixed(1).padStart(6)} MiB ${f.idleMaxRssMiB.node.toFixed(1).padStart(8)} MiB ${(f.idleMaxRssMiB.bare / f.idleMaxRssMiB.node).toFixed(2)}`,
    `empty runtime RSS   ${f.emptyRuntimeMaxRssMiB.bare.toFixed(1).padStart(6)} MiB ${f.emptyRuntimeMaxRssMiB.node.toFixed(1).padStart(8)} MiB ${(f.emptyRuntimeMaxRssMiB.bare / f.emptyRuntimeMaxRssMiB.node).toFixed(2)}`,
    '',
    '"tls": built with --tls (bare-tls), as for a config naming an mqtts:// broker; the others are built for the board\'s default config, which names none',
    'targets: bundle ≤ 1.5 MB; linux-arm64 bare artifact ≤ 8 MiB, node ≤ 4 MiB; idle node ≤ 48 MB max RSS on Bare (1 MiB = 1,048,576 bytes)',
    ''
  ]
  return lines.join('\n')
}

export function bridgeReport (b: BridgeFigures): string {
  const rate = (n: number): string => count(Math.round(n)).padStart(11)
  const qosName = { qos0: 'QoS 0', qos1: 'QoS 1' } as const
  const whoName = { node: 'node', mosquittoSub: 'mosquitto_sub' } as const
  const QOS = ['qos0', 'qos1'] as const
  const streams = QOS.flatMap((qos) => (['node', 'mosquittoSub'] as const).map((who) => ({ label: `${qosName[qos]} ${whoName[who]}`, s: b.ingest[qos][who] })))
  const ingestRow = (label: string, i: IngestFigures, aim: number): string =>
    `${label.padEnd(8)}${rate(i.node.msgPerS)}${rate(i.mosquittoSub.msgPerS)}${i.nodeToMosquittoSub.toFixed(2).padStart(10)}` +
    `${`${count(i.node.arrived)}/${count(b.messages)}`.padStart(15)}${`${count(i.mosquittoSub.arrived)}/${count(b.messages)}`.padStart(15)}` +
    `${rate(i.node.publisherMsgPerS)}${`${i.node.cpuPercent}%`.padStart(7)}${`${i.node.brokerCpuPercent}%`.padStart(7)}   ≥ ${count(aim)}`
  const l = b.latency
  const lines = [
    '',
    `sensor bridge: ${count(b.messages)} readings per stream, medians of ${runsOf(b.runs)}; mosquitto ${b.broker.mosquitto} (${b.broker.settings.join(', ')}); ` +
      `load ${b.loadavg.before.join(' ')} → ${b.loadavg.after.join(' ')}`,
    '',
    'ingest    node (Bare)  mosquitto_sub  node/sub   arrived: node  mosquitto_sub  publisher   node  broker   aim',
    'msg/s          msg/s          msg/s                                                msg/s    CPU     CPU',
    ingestRow(qosName.qos0, b.ingest.qos0, b.aims.qos0MsgPerS),
    ingestRow(qosName.qos1, b.ingest.qos1, b.aims.qos1MsgPerS),
    ...streams.flatMap(({ label, s }) => s.notes.map((note) => `  ${label}, ${note}`)),
    `mosquitto_sub's streams: ${QOS.map((qos) => subStream(qosName[qos], b.ingest[qos].mosquittoSub)).join('; ')}`,
    `every run (msg/s): ${streams.map(({ label, s }) => `${label} ${s.allMsgPerS.map(count).join(' ')}`).join('; ')}`,
    '',
    `publish → remote reader (${l.readings} QoS 1 readings at ${l.ratePerS}/s per run, all runs pooled): ` +
      `p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms (aim p99 ≤ ${b.aims.p99Ms} ms)` + (l.missing > 0 ? `; ${l.missing} never read` : ''),
    `  of which publish → bridge received: p50 ${l.toBridgeP50Ms} ms, p99 ${l.toBridgeP99Ms} ms`,
    `bridge node max RSS: idle ${b.maxRssMiB.idle.toFixed(1)} MiB, QoS 1 stream ${b.maxRssMiB.qos1Stream.toFixed(1)} MiB, QoS 0 stream ${b.maxRssMiB.qos0Stream.toFixed(1)} MiB`,
    '',
    'aims are from the issue, for context only; "publisher" in the table is how fast the publisher handed readings to the broker in the node\'s streams',
    ''
  ]
  return lines.join('\n')
}

function subStream (qos: string, s: SubscriberFigures): string {
  return `${qos} publisher ${count(s.publisherMsgPerS)} msg/s, mosquitto_sub CPU ${s.cpuPercent}%, broker CPU ${s.brokerCpuPercent}%`
}

export function storageReport (f: StorageFigures): string {
  const r = f.replication
  const m = f.manyCores
  const fetch = f.fetchAfterWriterExit
  const row = (label: string, t: TransferFigures): string =>
    `${label.padEnd(48)}${t.mibPerS.toFixed(1).padStart(7)}${`${t.cpuPercent}%`.padStart(7)}${`${t.maxRssMiB.toFixed(0)} MiB`.padStart(10)}    ${t.allMibPerS.join(' ')}`
  const mib = (n: number | null): string => (n === null ? '' : `${n.toFixed(1)} MiB`).padStart(10)
  const memRow = (label: string, rss: number | null, hwm: number): string => `${label.padEnd(56)}${mib(rss)}${mib(hwm)}`
  const parts = (b: RssPart[]): string => b.filter((p) => p.mib >= 0.5).map((p) => `${p.part} ${p.mib.toFixed(1)}`).join(', ')
  const idleS = STORAGE_IDLE_MS / 1000
  const lines = [
    '',
    `storage peer: ${f.coreMiB} MiB encrypted core in ${f.blockBytes / 1024} KiB blocks, medians of ${runsOf(f.runs)}; ` +
      `load ${f.loadavg.before.join(' ')} → ${f.loadavg.after.join(' ')}`,
    `command: ${f.command}`,
    `writer: ${RUNTIME_NAMES[f.writer.runtime]}, wrote the core in ${(f.writer.writeMs / 1000).toFixed(1)} s; each run sends it to a fresh receiver on the same testnet`,
    '',
    'writer → receiver                                 MiB/s    CPU   max RSS    every run (MiB/s)',
    row(`roost node, ${r.board} settings (Bare)`, r.node),
    row('plain corestore, same storage settings (Bare)', r.plainRoostStorage),
    row('plain corestore, its defaults (Bare)', r.plain),
    `roost node / plain corestore with the same settings (${r.memtableMiB} MiB memtables): ${r.nodeToPlainSameSettings.toFixed(2)} ` +
      `(aim ≥ ${r.aims.nodeToPlainSameSettings}); / plain corestore with its defaults: ${r.nodeToPlain.toFixed(2)}; ` +
      `the same settings / defaults: ${(r.plainRoostStorage.mibPerS / r.plain.mibPerS).toFixed(2)}. CPU in % of one core, while receiving`,
    '',
    `fetch ${fetch.mib} MiB after the writer's process exited (reader: ${RUNTIME_NAMES[fetch.reader]}, timed from an open connection)`,
    `  from the roost node:       ${(fetch.fromNode.ms / 1000).toFixed(2)} s, ${fetch.fromNode.mibPerS.toFixed(1)} MiB/s (connect ${fetch.fromNode.connectMs} ms)`,
    `  from the plain reader:     ${(fetch.fromPlain.ms / 1000).toFixed(2)} s, ${fetch.fromPlain.mibPerS.toFixed(1)} MiB/s (connect ${fetch.fromPlain.connectMs} ms)`,
    '',
    `${count(m.cores)} small encrypted cores kept by one device, ${m.keepsInFlight} keeps in flight, each closed once held: ` +
      `${(m.keptMs / 1000).toFixed(1)} s`,
    `  node status while keeping: openCores up to ${m.peakOpenCores}, syncing up to ${m.peakSyncing} (maxOpenCores ${m.maxOpenCores})`,
    `${'  node memory'.padEnd(56)}${'VmRSS'.padStart(10)}${'VmHWM'.padStart(10)}`,
    memRow(`  storage role, no cores yet, idle ${idleS} s`, m.empty.rssMiB, m.empty.maxRssMiB),
    memRow('  while keeping', null, m.keepingMaxRssMiB),
    memRow(`  device gone, ${m.idle.openCores} cores open after ${(m.idle.settleMs / 1000).toFixed(1)} s, idle ${idleS} s`, m.idle.rssMiB, m.idle.maxRssMiB),
    `    ${parts(m.idle.breakdown)} (MiB)`,
    memRow(`  restarted, all announced after ${(m.restarted.announceMs / 1000).toFixed(0)} s, idle ${idleS * 2} s`, m.restarted.rssMiB, m.restarted.maxRssMiB),
    `    anonymous ${m.restarted.anonMiB.toFixed(1)} MiB, file-backed ${m.restarted.fileMiB.toFixed(1)} MiB: ${parts(m.restarted.breakdown)} (MiB)`,
    '  inside each board\'s memory budget (a memory cgroup, the node\'s files charged to it as on the board): the budget',
    '  section, with --budget-cores for the number of cores',
    '',
    `aim from the issue, for context only: a node holding 1,000 cores idle ≤ ${f.aims.idleRssMiB} MiB RSS`,
    ''
  ]
  return lines.join('\n')
}

