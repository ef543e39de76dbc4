// Runs the sections of `roost bench` one after another so that a run never hangs and
// never loses what it measured: each section says when it starts and shows its figures
// as it ends; each of its steps has a deadline; a section that fails or runs out of
// time is reported (the step, how long it had run, the last lines of each process it
// had running) and the next section runs.
import { HarnessError } from '../harness/errors.ts'
import { observeProcesses, type WatchedProcess } from '../harness/watched.ts'
import type { Progress } from './section.ts'

export interface Section<F> {
  name: string
  run (progress: Progress): Promise<F>
  // The section's figures as text, printed as soon as it ends.
  render (figures: F): string
}

export interface ProcessLines { name: string, pid: number | null, running: boolean, lastLines: string[] }

export interface SectionFailure {
  section: string
  // The step it was in (its last progress line), and how long it had been in it.
  step: string | null
  stepElapsedMs: number
  sectionElapsedMs: number
  code: string
  message: string
  // Every process the section had running during that step, with its last lines.
  processes: ProcessLines[]
}

export interface SectionTime { section: string, ms: number, ok: boolean }

export interface RunResult {
  // Each section's figures by name, only for sections that ended well.
  figures: Record<string, unknown>
  failures: SectionFailure[]
  sections: SectionTime[]
  wallMs: number
}

export interface RunOutput {
  // A progress line (a section or step starts, a section fails).
  progress (line: string): void
  // A section's figures, as it ends.
  figures (text: string): void
}

export interface RunOptions {
  // A step with no deadline of its own must end within this (the next step starts, or the section ends).
  stepDeadlineMs: number
  // After a step's deadline, how long the section has to stop what it started and clean up.
  settleMs: number
  // Lines of each process shown for a failure.
  linesPerProcess: number
}

export const RUN_DEFAULTS: RunOptions = { stepDeadlineMs: 5 * 60_000, settleMs: 30_000, linesPerProcess: 8 }

export async function runSections (sections: Array<Section<unknown>>, out: RunOutput, options: Partial<RunOptions> = {}): Promise<RunResult> {
  const opts = { ...RUN_DEFAULTS, ...options }
  const started = Date.now()
  const result: RunResult = { figures: {}, failures: [], sections: [], wallMs: 0 }
  for (const [i, section] of sections.entries()) {
    out.progress(`section ${i + 1}/${sections.length}: ${section.name} starts`)
    const sectionStarted = Date.now()
    const outcome = await runOne(section, out, opts)
    const ms = Date.now() - sectionStarted
    result.sections.push({ section: section.name, ms, ok: outcome.ok })
    if (outcome.ok) {
      result.figures[section.name] = outcome.figures
      out.progress(`section ${section.name} done in ${seconds(ms)}`)
      out.figures(section.render(outcome.figures))
    } else {
      result.failures.push(outcome.failure)
      out.progress(`section ${section.name} FAILED after ${seconds(ms)}`)
      out.figures(renderFailure(outcome.failure))
    }
  }
  result.wallMs = Date.now() - started
  return result
}

type Outcome = { ok: true, figures: unknown } | { ok: false, failure: SectionFailure }

async function runOne (section: Section<unknown>, out: RunOutput, opts: RunOptions): Promise<Outcome> {
  const sectionStarted = Date.now()
  const processes: WatchedProcess[] = []
  const unobserve = observeProcesses((proc) => processes.push(proc))
  let step: { name: string, startedAt: number } | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let timedOut = false
  let expire: (err: Error) => void = () => {}
  const expired = new Promise<never>((_resolve, reject) => { expire = reject })

  const arm = (deadlineMs: number): void => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timedOut = true
      expire(HarnessError.WAIT_TIMEOUT(`end of step "${step?.name ?? `${section.name} start`}"`, deadlineMs, ''))
    }, deadlineMs)
  }
  const progress: Progress = (name, deadlineMs = opts.stepDeadlineMs) => {
    step = { name, startedAt: Date.now() }
    out.progress(name)
    arm(deadlineMs)
  }

  const failure = (err: unknown): SectionFailure => {
    const e = err as { code?: string, message?: string }
    const since = step?.startedAt ?? sectionStarted
    const now = Date.now()
    return {
      section: section.name,
      step: step?.name ?? null,
      stepElapsedMs: now - since,
      sectionElapsedMs: now - sectionStarted,
      code: e?.code ?? 'ERROR',
      message: e?.message ?? String(err),
      processes: processes
        .filter((p) => { const ended = p.endedAt(); return ended === null || ended >= since })
        .map((p) => ({ name: p.name, pid: p.child.pid ?? null, running: p.endedAt() === null, lastLines: p.lastLines(opts.linesPerProcess) }))
    }
  }

  arm(opts.stepDeadlineMs)
  const running = section.run(progress)
  try {
    return { ok: true, figures: await Promise.race([running, expired]) }
  } catch (err) {
    // Taken before anything is stopped, so that it shows what was running.
    const failed = failure(err)
    // Out of time: stop what the section started, so that its waits fail and its
    // closers run, and give it a while to do so.
    if (timedOut) {
      stopAll(processes)
      await Promise.race([running.catch(() => {}), new Promise((resolve) => setTimeout(resolve, opts.settleMs).unref())])
    }
    return { ok: false, failure: failed }
  } finally {
    if (timer) clearTimeout(timer)
    unobserve()
  }
}

// SIGTERM to every process still running, SIGKILL to any left after 5 s.
function stopAll (processes: WatchedProcess[]): void {
  const left = processes.filter((p) => p.endedAt() === null)
  for (const p of left) p.child.kill('SIGTERM')
  setTimeout(() => { for (const p of left) if (p.endedAt() === null) p.child.kill('SIGKILL') }, 5000).unref()
}

export function renderFailure (f: SectionFailure): string {
  const lines = [
    '',
    `${f.section}: FAILED${f.step === null ? '' : ` in step "${f.step}"`} after ${seconds(f.stepElapsedMs)} in the step, ` +
      `${seconds(f.sectionElapsedMs)} into the section`,
    `  ${f.code}: ${f.message}`
  ]
  if (f.processes.length > 0) lines.push('  last lines of each process it had running in that step:')
  for (const p of f.processes) {
    lines.push(`    ${p.name} (pid ${p.pid ?? '?'}, ${p.running ? 'still running' : 'ended'}):`)
    lines.push(...(p.lastLines.length > 0 ? p.lastLines.map((l) => `      ${l.length > 400 ? `${l.slice(0, 400)}…` : l}`) : ['      (nothing)']))
  }
  return lines.join('\n') + '\n'
}

export function seconds (ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round(ms % 60_000 / 1000)} s`
}
