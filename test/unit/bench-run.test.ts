// The bench's section runner (tools/bench/run.ts) with sections made up here and
// stand-in processes: a failed or stuck section is reported with its step, its time and
// what each of its processes last logged, and never costs the other sections their
// figures; each section's figures are out as it ends; --json carries every figure and
// the run's failures. Serial: the runner hears of every process this worker watches.
import type { ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import test from 'ava'
import { renderJson, type BenchFigures } from '../../tools/bench/report.ts'
import { runSections, type RunOutput, type Section } from '../../tools/bench/run.ts'
import { HarnessError } from '../../tools/harness/errors.ts'
import { watched } from '../../tools/harness/watched.ts'
import { sleep } from '../../tools/harness/wait.ts'

// A child process that runs until it is killed, as far as the runner can tell.
function standIn (name: string, lines: string[]): { proc: ReturnType<typeof watched>, killed: string[] } {
  const killed: string[] = []
  const child = Object.assign(new EventEmitter(), {
    pid: 4242,
    kill (signal: string) {
      killed.push(signal)
      setImmediate(() => child.emit('close', null, signal))
      return true
    }
  })
  const proc = watched(name, child as unknown as ChildProcess)
  for (const line of lines) proc.line(line)
  return { proc, killed }
}

function transcript (): { out: RunOutput, lines: string[] } {
  const lines: string[] = []
  return { lines, out: { progress: (line) => lines.push(`progress: ${line}`), figures: (text) => lines.push(`figures: ${text}`) } }
}

const ok = (name: string, value: number): Section<unknown> => ({
  name,
  run: async (progress) => { progress(`${name} step`); return { value } },
  render: (f) => `${name} = ${(f as { value: number }).value}`
})

test.serial('a section that fails is reported with its step and its processes\' last lines, and the sections after it still run', async (t) => {
  const failing: Section<unknown> = {
    name: 'storage',
    async run (progress) {
      progress('storage replication run 1/3 (node)')
      const node = standIn('node home-0', ['{"event":"ready"}', '{"event":"core-held"}'])
      progress('storage fetch from the node after the writer exited')
      node.proc.child.emit('close', 0, null)
      standIn('plain peer read fetch-node', ['{"event":"progress","downloaded":491}'])
      throw HarnessError.STALLED('"read" from plain peer read fetch-node', 30_000, '')
    },
    render: () => 'never'
  }
  const { out, lines } = transcript()
  const result = await runSections([ok('node', 1), failing, ok('lan', 3)], out)

  t.deepEqual(result.figures, { node: { value: 1 }, lan: { value: 3 } })
  t.deepEqual(result.sections.map((s) => [s.section, s.ok]), [['node', true], ['storage', false], ['lan', true]])
  const [failure] = result.failures
  t.like(failure, { section: 'storage', step: 'storage fetch from the node after the writer exited', code: 'STALLED' })
  t.true(failure.stepElapsedMs >= 0 && failure.sectionElapsedMs >= failure.stepElapsedMs)
  // The node ended during the failing step, so it is shown; both processes with their lines.
  t.deepEqual(failure.processes.map((p) => [p.name, p.lastLines]), [
    ['node home-0', ['{"event":"ready"}', '{"event":"core-held"}']],
    ['plain peer read fetch-node', ['{"event":"progress","downloaded":491}']]
  ])
  const report = lines.find((l) => l.includes('FAILED in step'))!
  t.regex(report, /storage: FAILED in step "storage fetch from the node after the writer exited" after [\d.]+ s in the step/)
  t.regex(report, /STALLED: "read" from plain peer read fetch-node stalled: nothing moved for 30 s/)
  t.regex(report, /plain peer read fetch-node \(pid 4242, still running\):\n\s+\{"event":"progress","downloaded":491\}/)
})

test.serial('each section says when it starts and shows its figures as it ends, before the next one starts', async (t) => {
  const { out, lines } = transcript()
  await runSections([ok('node', 1), ok('bridge', 2)], out)
  t.deepEqual(lines.map((l) => l.replace(/in [\d.]+ s/, 'in T')), [
    'progress: section 1/2: node starts',
    'progress: node step',
    'progress: section node done in T',
    'figures: node = 1',
    'progress: section 2/2: bridge starts',
    'progress: bridge step',
    'progress: section bridge done in T',
    'figures: bridge = 2'
  ])
})

test.serial('a step that outlives its deadline fails its section, stops the processes it left running, and the run goes on', async (t) => {
  let stand: ReturnType<typeof standIn> | null = null
  let cleanedUp = false
  const stuck: Section<unknown> = {
    name: 'bridge',
    async run (progress) {
      progress('bridge qos1 run 1/5 (node)', 50)
      stand = standIn('node node-qos1-0', ['{"event":"broker-connected"}'])
      try {
        // A wait with no deadline of its own: it ends only when its process does.
        await new Promise((resolve) => stand!.proc.child.once('close', resolve))
        await sleep(2000)
      } finally {
        cleanedUp = true
      }
      return {}
    },
    render: () => 'never'
  }
  const { out } = transcript()
  const started = Date.now()
  const result = await runSections([stuck, ok('lan', 3)], out, { settleMs: 200 })

  t.true(Date.now() - started < 5000, 'the run did not wait for the stuck section')
  t.deepEqual(result.figures, { lan: { value: 3 } })
  t.like(result.failures[0], { section: 'bridge', step: 'bridge qos1 run 1/5 (node)', code: 'WAIT_TIMEOUT' })
  t.regex(result.failures[0].message, /no end of step "bridge qos1 run 1\/5 \(node\)" within 50 ms/)
  t.deepEqual(result.failures[0].processes, [{ name: 'node node-qos1-0', pid: 4242, running: true, lastLines: ['{"event":"broker-connected"}'] }])
  t.deepEqual(stand!.killed, ['SIGTERM'])
  t.false(cleanedUp, 'the section is left to finish in its own time')
})

test.serial('--json holds every section\'s figures (the node section\'s at the top), the wall time, each section\'s time and every failure', (t) => {
  const figures = { node: { runs: 1, buildMs: { median: 5, all: [5] } }, bridge: null, storage: null, fleet: null, lan: { msgPerS: 9 }, idle: null } as unknown as BenchFigures
  const failure = { section: 'storage', step: 'storage fetch', stepElapsedMs: 30_000, sectionElapsedMs: 90_000, code: 'STALLED', message: 'm', processes: [] }
  const json = JSON.parse(renderJson(figures, { wallMs: 120_000, sections: [{ section: 'node', ms: 10, ok: true }, { section: 'storage', ms: 90_000, ok: false }], failures: [failure] }))
  t.deepEqual(Object.keys(json), ['runs', 'buildMs', 'lan', 'run'])
  t.deepEqual(json.lan, { msgPerS: 9 })
  t.deepEqual(json.run, { wallMs: 120_000, sections: [{ section: 'node', ms: 10, ok: true }, { section: 'storage', ms: 90_000, ok: false }], failures: [failure] })
})
