// Watches a running node process: collects its JSON log lines, waits for events and
// stops it with SIGTERM, so callers never leave a node behind.
import type { ChildProcess } from 'node:child_process'
import readline from 'node:readline'
import { processWaiter } from './process-waiter.ts'

export interface NodeEvent { event: string, [field: string]: unknown }

export interface NodeProcess {
  child: ChildProcess
  events: NodeEvent[]
  stderr: string[]
  waitFor (event: string, timeoutMs?: number, match?: (e: NodeEvent) => boolean): Promise<NodeEvent>
  stop (timeoutMs?: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  // Waits for the process to end by itself; SIGKILL after the timeout.
  exited (timeoutMs?: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  // Its last log lines, for an error that says what the node was doing.
  lastLog (): string
}

export function watchNode (child: ChildProcess): NodeProcess {
  const events: NodeEvent[] = []
  const stderr: string[] = []
  // Declared before the handlers below use it; describe() is hoisted.
  const waiter = processWaiter('node', () => exited !== null, () => `log: ${describe()}`)
  let exited: { code: number | null, signal: NodeJS.Signals | null } | null = null
  const exitPromise = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' comes after the child's stdout and stderr are drained, so its last words are kept.
    child.on('close', (code, signal) => {
      exited = { code, signal }
      resolve(exited)
      waiter.wake()
    })
  })

  if (child.stdout) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        events.push(JSON.parse(line) as NodeEvent)
      } catch {
        events.push({ event: 'unparsed-output', line })
      }
      waiter.wake()
    })
  }
  if (child.stderr) readline.createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line))

  function waitFor (event: string, timeoutMs = 20_000, match: (e: NodeEvent) => boolean = () => true): Promise<NodeEvent> {
    return waiter.until(() => events.find((e) => e.event === event && match(e)), `"${event}"`, timeoutMs)
  }

  function describe (): string {
    return JSON.stringify(events.slice(-5)) + (stderr.length ? ' stderr: ' + stderr.slice(-5).join(' | ') : '')
  }

  async function stop (timeoutMs = 5000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    if (exited) return exited
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const result = await exitPromise
    clearTimeout(timer)
    return result
  }

  async function exitedBy (timeoutMs = 5000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    if (exited) return exited
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const result = await exitPromise
    clearTimeout(timer)
    return result
  }

  return { child, events, stderr, waitFor, stop, exited: exitedBy, lastLog: () => `node log: ${describe()}` }
}
