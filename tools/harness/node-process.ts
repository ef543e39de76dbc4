// Watches a running node process: collects its JSON log lines, waits for events and
// stops it with SIGTERM, so callers never leave a node behind.
import type { ChildProcess } from 'node:child_process'
import readline from 'node:readline'
import type { LogEvent, LogLine } from '../../node/log-events.ts'
import { processWaiter } from './process-waiter.ts'
import { watched } from './watched.ts'

export interface NodeEvent { event: string, [field: string]: unknown }

// A node's events come typed by node/log-events.ts; other programs watched this way (the
// bench's plain corestore peer, the MQTT probe) log events of their own.
export type EventOf<E extends string> = E extends LogEvent ? LogLine<E> : NodeEvent

export interface NodeProcess {
  // What it is in reports, e.g. "node home-2".
  name: string
  child: ChildProcess
  events: NodeEvent[]
  stderr: string[]
  waitFor<E extends string> (event: E, timeoutMs?: number, match?: (e: EventOf<E>) => boolean): Promise<EventOf<E>>
  stop (timeoutMs?: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  // Waits for the process to end by itself; SIGKILL after the timeout.
  exited (timeoutMs?: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  // Its last log lines, for an error that says what the node was doing.
  lastLog (): string
  // Its last lines of output as they came, stdout and stderr.
  lastLines (count?: number): string[]
}

export function watchNode (child: ChildProcess, name = 'node'): NodeProcess {
  const events: NodeEvent[] = []
  const stderr: string[] = []
  const record = watched(name, child)
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
      record.line(line)
      try {
        events.push(JSON.parse(line) as NodeEvent)
      } catch {
        events.push({ event: 'unparsed-output', line })
      }
      waiter.wake()
    })
  }
  if (child.stderr) {
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      record.line(`stderr: ${line}`)
      stderr.push(line)
    })
  }

  function waitFor<E extends string> (event: E, timeoutMs = 20_000, match: (e: EventOf<E>) => boolean = () => true): Promise<EventOf<E>> {
    return waiter.until(() => events.find((e): e is EventOf<E> => e.event === event && match(e as EventOf<E>)), `"${event}"`, timeoutMs)
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

  return { name, child, events, stderr, waitFor, stop, exited: exitedBy, lastLog: () => `node log: ${describe()}`, lastLines: record.lastLines }
}
