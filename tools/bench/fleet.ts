// The fleet section of `roost bench`: how long `roost provision` takes for a fleet of
// many devices over a few board kinds (artifacts built once per board), and a second
// run that changes nothing; how long the operator's `fleet status` takes to ask many
// running nodes at once; the systemd units' exposure by `systemd-analyze security`; and
// the size of each package. Every node, testnet and folder started here is stopped or
// removed, whatever happens.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { encodeKey } from '../../node/identity/keys.ts'
import type { Manifest } from '../../targets/artifact.ts'
import { serviceFile } from '../../targets/service.ts'
import { deviceAt } from '../client/device.ts'
import { fleetStatus, type FleetMember } from '../client/fleet.ts'
import { loadBoard, loadBoards } from '../config/boards.ts'
import { parseFleet } from '../config/fleet.ts'
import { HarnessError } from '../harness/errors.ts'
import { launchNode, readyKey } from '../harness/local-node.ts'
import type { NodeProcess } from '../harness/node-process.ts'
import { packageDevice } from '../provision/package.ts'
import { provision } from '../provision/provision.ts'
import { artifactDir } from '../provision/layout.ts'
import { loadavg, median, round } from './measure.ts'
import { checkCounts, closers, progressToStderr, workAndTestnet, type Progress } from './section.ts'

export interface FleetFigures {
  loadavg: { before: number[], after: number[] }
  provision: { devices: number, boards: string[], firstMs: number, firstFiles: number, againMs: number, againFiles: number }
  status: { nodes: number, concurrency: number, runs: number, medianMs: number, allMs: number[], up: number }
  exposure: Array<{ board: string, score: number }>
  // Bytes of each board's artifact, and of an OpenWrt device's own package.
  sizes: Array<{ what: string, bytes: number }>
  aims: typeof AIMS
}

export interface FleetOptions {
  devices: number
  nodes: number
  runs: number
  progress?: Progress
}

// From the issue, printed for context and never asserted.
export const AIMS = { provisionMs: 60_000 } as const

// Four kinds of board, as a household or a small office has them.
const FLEET_BOARDS = ['raspberry-pi-4b', 'raspberry-pi-5', 'x86-64-mini-pc', 'glinet-gl-mt6000']
// The operator's fleet status asks this many nodes at once (the CLI's default).
const CONCURRENCY = 16
// Nodes start this many at a time: all at once would measure two cores' start-up queue.
const START_BATCH = 8

export async function benchFleet (opts: FleetOptions): Promise<FleetFigures> {
  checkCounts('fleet', { devices: opts.devices, nodes: opts.nodes, runs: opts.runs })
  const progress = opts.progress ?? progressToStderr
  const before = loadavg()
  const opened = closers()
  try {
    const { work, testnet } = await workAndTestnet(opened, 'fleet')
    const operator = deviceAt(path.join(work, 'operator'), { bootstrap: testnet.bootstrap })
    const operatorKey = encodeKey(operator.keyPair.publicKey)
    const out = path.join(work, 'provisioned')

    progress(`fleet provision ${opts.devices} devices of ${FLEET_BOARDS.length} boards`)
    const fleet = parseFleet('bench-fleet.yaml', fleetYaml(opts.devices, testnet.bootstrap))
    let started = performance.now()
    const first = await provision({ fleet, outDir: out, operatorKey })
    const firstMs = performance.now() - started
    progress('fleet provision again')
    started = performance.now()
    const again = await provision({ fleet, outDir: out, operatorKey })
    const againMs = performance.now() - started

    const sizes = FLEET_BOARDS.map((board) => ({ what: `${board} artifact`, bytes: artifactBytes(artifactDir(out, board)) }))
    const router = fleet.devices.find((d) => d.board.init === 'procd')
    if (router) sizes.push({ what: `${router.board.id} device package (.ipk)`, bytes: packageDevice(out, router.name).bytes })

    const status = await statusRuns(opts, out, testnet.bootstrap, operatorKey, operator, progress, opened.add)
    return {
      loadavg: { before, after: loadavg() },
      provision: { devices: opts.devices, boards: FLEET_BOARDS, firstMs: round(firstMs), firstFiles: first.written.length, againMs: round(againMs), againFiles: again.written.length },
      status,
      exposure: exposureScores(work),
      sizes,
      aims: AIMS
    }
  } finally {
    await opened.closeAll()
  }
}

function fleetYaml (devices: number, bootstrap: string[]): string {
  const lines = ['fleet: bench', 'defaults:', `  bootstrap: [${bootstrap.join(', ')}]`, 'devices:']
  for (let i = 0; i < devices; i++) lines.push(`  - { name: device-${i}, board: ${FLEET_BOARDS[i % FLEET_BOARDS.length]} }`)
  return lines.join('\n') + '\n'
}

function artifactBytes (dir: string): number {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest
  return manifest.files.reduce((sum, f) => sum + f.size, 0)
}

// `nodes` Bare nodes of the x86-64 artifact (this machine's), each with the operator's
// key, asked for their health by one `fleet status` call per run.
async function statusRuns (opts: FleetOptions, out: string, bootstrap: string[], operatorKey: string, operator: ReturnType<typeof deviceAt>,
  progress: Progress, onClose: (close: () => Promise<void>) => void): Promise<FleetFigures['status']> {
  const board = loadBoard('x86-64-mini-pc')
  const nodes: NodeProcess[] = []
  onClose(async () => { await Promise.all(nodes.map((n) => n.stop(2000))) })
  const members: FleetMember[] = []
  for (let i = 0; i < opts.nodes; i += START_BATCH) {
    progress(`fleet starting nodes ${i + 1}-${Math.min(i + START_BATCH, opts.nodes)} of ${opts.nodes}`)
    const batch = Array.from({ length: Math.min(START_BATCH, opts.nodes - i) }, (_, j) => {
      const node = launchNode({ artifactDir: artifactDir(out, board.id), runtime: 'bare', board, work: path.join(out, 'nodes'), name: `n${i + j}`, config: { bootstrap, operatorKey, roles: ['storage'] } })
      nodes.push(node)
      return node
    })
    for (const [j, node] of batch.entries()) members.push({ name: `n${i + j}`, board: board.id, publicKey: await readyKey(node), roles: ['storage'] })
  }
  const allMs: number[] = []
  let up = 0
  for (let run = 0; run < opts.runs; run++) {
    progress(`fleet status run ${run + 1}/${opts.runs} (${opts.nodes} nodes)`)
    const started = performance.now()
    const rows = await fleetStatus(operator, { devices: members }, { concurrency: CONCURRENCY })
    allMs.push(round(performance.now() - started))
    up = rows.filter((r) => r.state === 'up').length
    if (up !== opts.nodes) throw HarnessError.CHECK_FAILED(`fleet status found ${up} of ${opts.nodes} nodes up: ${rows.filter((r) => r.state !== 'up').map((r) => `${r.name} ${r.reason?.code ?? r.state}`).join(', ')}`)
  }
  return { nodes: opts.nodes, concurrency: CONCURRENCY, runs: opts.runs, medianMs: median(allMs), allMs, up }
}

// systemd-analyze security of each systemd board's unit, as test/e2e/service-unit.test.ts
// runs it: the ExecStart binary exists only on the device, so the copy names /bin/true.
function exposureScores (work: string): FleetFigures['exposure'] {
  return loadBoards().filter((b) => b.init === 'systemd').map((board) => {
    const file = path.join(work, `${board.id}.service`)
    fs.writeFileSync(file, serviceFile(board, '/opt/roost/bin/bare').text.replace(/^ExecStart=\/opt\/roost\/bin\/bare /m, 'ExecStart=/bin/true '))
    const result = spawnSync('systemd-analyze', ['security', '--offline=yes', file], { encoding: 'utf8' })
    const score = /Overall exposure level for \S+: (\d+\.\d+)/.exec(result.stdout)?.[1]
    if (score === undefined) throw HarnessError.CHECK_FAILED(`systemd-analyze security gave no score for ${board.id}: ${result.stderr || result.stdout}`)
    return { board: board.id, score: Number(score) }
  })
}
