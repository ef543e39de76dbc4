// Every process the harness starts and watches (nodes, plain peers, brokers), told to
// whoever observes: the bench's section runner keeps them, so that a section that fails
// or runs out of time can say what each process it started last logged, and stop the
// ones still running.
import type { ChildProcess } from 'node:child_process'

// Lines of output each process keeps for such a report.
export const KEPT_LINES = 40

export interface WatchedProcess {
  // What it is, e.g. "node home-2" or "mosquitto".
  name: string
  child: ChildProcess
  // Date.now() when it started, and when it ended (null while it runs).
  startedAt: number
  endedAt (): number | null
  // Its last lines of output (stdout and stderr as they came), oldest first.
  lastLines (count?: number): string[]
}

type Observer = (proc: WatchedProcess) => void
const observers = new Set<Observer>()

// Tells `observer` of every process watched from now on, until the returned function is called.
export function observeProcesses (observer: Observer): () => void {
  observers.add(observer)
  return () => { observers.delete(observer) }
}

// A watched process's record: its output lines go in with `line`.
export function watched (name: string, child: ChildProcess): WatchedProcess & { line (text: string): void } {
  const lines: string[] = []
  let endedAt: number | null = null
  child.once('close', () => { endedAt = Date.now() })
  const proc = {
    name,
    child,
    startedAt: Date.now(),
    endedAt: () => endedAt,
    lastLines: (count = KEPT_LINES) => lines.slice(-count),
    line (text: string) {
      lines.push(text)
      if (lines.length > KEPT_LINES) lines.shift()
    }
  }
  for (const observer of observers) observer(proc)
  return proc
}
