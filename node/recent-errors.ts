// The node's last few errors, for its health reply: a logger that writes every event as
// before and remembers the error events (log-events.ts ERROR_EVENTS) in a small ring. A
// node that fails for days must not grow, and an operator asking over the DHT must not
// learn a topic, a path or a reason: only the event, its code and its time are kept.
import { ERROR_EVENTS, type ErrorEvent, type LogEvent } from './log-events.ts'
import type { Logger } from './log.ts'
import type { RecentError } from './protocol/health-messages.ts'

export const RECENT_ERRORS_KEPT = 5

export interface ErrorMemory {
  // Logs as the wrapped logger does, remembering the error events.
  log: Logger
  // The last errors, oldest first.
  recent (): RecentError[]
  // The last error of one kind, however many others came after it.
  last (event: ErrorEvent): RecentError | null
}

const isErrorEvent = (event: LogEvent): event is ErrorEvent => (ERROR_EVENTS as readonly LogEvent[]).includes(event)

export function rememberErrors (log: Logger, opts: { keep?: number, now?: () => number } = {}): ErrorMemory {
  const keep = opts.keep ?? RECENT_ERRORS_KEPT
  const now = opts.now ?? Date.now
  const ring: RecentError[] = []
  // One entry per kind of error: bounded by ERROR_EVENTS.
  const lastOfKind = new Map<ErrorEvent, RecentError>()

  const remembering: Logger = (event, fields) => {
    log(event, fields)
    if (!isErrorEvent(event)) return
    const code = (fields as { code?: unknown }).code
    const entry: RecentError = { event, code: typeof code === 'string' ? code : null, atMs: now() }
    ring.push(entry)
    if (ring.length > keep) ring.shift()
    lastOfKind.set(event, entry)
  }

  return {
    log: remembering,
    recent: () => ring.map((e) => ({ ...e })),
    last: (event) => {
      const entry = lastOfKind.get(event)
      return entry ? { ...entry } : null
    }
  }
}
