// `roost bench`: flags → the options of each wanted section (tools/bench) → its figures
// → the report or JSON (tools/bench/report.ts). Progress goes to stderr as each section
// and run starts.
import { benchBridge } from '../../bench/bridge/bridge.ts'
import { benchFleet } from '../../bench/fleet.ts'
import { benchLan } from '../../bench/lan.ts'
import { benchNat, whyNoNatBench } from '../../bench/nat.ts'
import { benchNode } from '../../bench/node.ts'
import { renderJson, renderReport, type BenchFigures } from '../../bench/report.ts'
import { progressToStderr } from '../../bench/section.ts'
import { benchStorage } from '../../bench/storage/storage.ts'
import { defineCommand, intFlag, usageError } from '../args.ts'

const spec = {
  name: 'bench',
  summary: 'Measure the node\'s size, speed and memory against its baselines, side by side in one run.',
  details: 'Build time, bundle and artifact sizes, start-to-ready time and idle memory of the node on Bare\n' +
    'and on Node.js; the sensor bridge\'s ingest rate, reader latency and memory against Mosquitto;\n' +
    'the storage peer\'s replication rate against plain corestore and its memory with 1,000 cores;\n' +
    'the reading datagrams a second the node takes from a LAN agent; which home NATs connect directly,\n' +
    'through a relay or not at all, and the relay\'s throughput and memory (nat, needs root).',
  usage: 'roost bench [--only node|bridge|storage|fleet|lan|nat] [--runs N] [--bridge-messages N] [--storage-mib N] [--storage-cores N] [--storage-runs N] [--lan-readings N] [--lan-window N] [--nat-mib N] [--nat-connections N] [--json]',
  flags: {
    runs: { type: 'string', value: 'N', help: 'repetitions per measurement; medians are reported (default: 5)' },
    'bridge-messages': { type: 'string', value: 'N', help: 'readings per sensor-bridge ingest stream (default: 20000)' },
    only: { type: 'string', multiple: true, value: 'SECTION', help: 'measure only this section: node, bridge, storage, fleet, lan or nat (default: all)' },
    'lan-readings': { type: 'string', value: 'N', help: 'reading datagrams per LAN ingest run (default: 50000)' },
    'lan-window': { type: 'string', value: 'N', help: 'readings the LAN ingest agent keeps in flight (default: 512)' },
    'fleet-devices': { type: 'string', value: 'N', help: 'devices provisioned in the fleet section (default: 200)' },
    'fleet-nodes': { type: 'string', value: 'N', help: 'running nodes the fleet section\'s fleet status asks (default: 50)' },
    'storage-mib': { type: 'string', value: 'N', help: 'size of the core replicated to the storage peer, in MiB (default: 256)' },
    'storage-cores': { type: 'string', value: 'N', help: 'small cores the storage peer is asked to keep (default: 1000)' },
    'storage-runs': { type: 'string', value: 'N', help: 'replication runs per receiver; medians are reported (default: 3)' },
    'nat-mib': { type: 'string', value: 'N', help: 'MiB per NAT throughput run, direct and through the relay (default: 64)' },
    'nat-connections': { type: 'string', value: 'N', help: 'connections the relay relays for its memory figure (default: 50)' },
    json: { type: 'boolean', help: 'print the figures as JSON' }
  }
} as const

const SECTIONS = ['node', 'bridge', 'storage', 'fleet', 'lan', 'nat']

export const bench = defineCommand(spec, async (flags) => {
  const runs = intFlag('bench', 'runs', flags.runs, 5, 1, 50)
  const bridge = { messages: intFlag('bench', 'bridge-messages', flags['bridge-messages'], 20_000, 100, 10_000_000), runs, progress: progressToStderr }
  const storage = {
    coreMiB: intFlag('bench', 'storage-mib', flags['storage-mib'], 256, 1, 65_536),
    cores: intFlag('bench', 'storage-cores', flags['storage-cores'], 1000, 1, 100_000),
    runs: intFlag('bench', 'storage-runs', flags['storage-runs'], 3, 1, 50),
    command: `roost ${process.argv.slice(2).join(' ')}`,
    progress: progressToStderr
  }
  const only: readonly string[] = flags.only ?? []
  const unknown = only.find((s) => !SECTIONS.includes(s))
  if (unknown !== undefined) throw usageError('bench', `--only ${unknown}: expected one of ${SECTIONS.join(', ')}`)
  const wanted = (section: string): boolean => only.length === 0 || only.includes(section)
  // The nat section needs root for its namespaces: left out of a full run without it,
  // refused when asked for by name.
  const natWanted = wanted('nat') && (only.includes('nat') || whyNoNatBench() === null)
  if (wanted('nat') && !natWanted) progressToStderr(`nat: not measured (${whyNoNatBench() ?? ''}; run as root, or --only nat to see the error)`)

  const figures: BenchFigures = {
    node: wanted('node') ? await benchNode({ runs, progress: progressToStderr }) : null,
    bridge: wanted('bridge') ? await benchBridge(bridge) : null,
    storage: wanted('storage') ? await benchStorage(storage) : null,
    fleet: wanted('fleet')
      ? await benchFleet({
        devices: intFlag('bench', 'fleet-devices', flags['fleet-devices'], 200, 1, 100_000),
        nodes: intFlag('bench', 'fleet-nodes', flags['fleet-nodes'], 50, 1, 1000),
        runs: Math.min(runs, 3),
        progress: progressToStderr
      })
      : null,
    lan: wanted('lan')
      ? await benchLan({
        readings: intFlag('bench', 'lan-readings', flags['lan-readings'], 50_000, 100, 10_000_000),
        window: intFlag('bench', 'lan-window', flags['lan-window'], 512, 1, 2048),
        runs: Math.min(runs, 3),
        progress: progressToStderr
      })
      : null,
    nat: natWanted
      ? await benchNat({
        runs: Math.min(runs, 3),
        mib: intFlag('bench', 'nat-mib', flags['nat-mib'], 64, 1, 4096),
        connections: intFlag('bench', 'nat-connections', flags['nat-connections'], 50, 1, 1000),
        progress: progressToStderr
      })
      : null
  }
  process.stdout.write(flags.json === true ? renderJson(figures) : renderReport(figures))
  return 0
})
