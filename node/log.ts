// One JSON object per line on stdout: easy for journald, logread and tests to read.
// log-events.ts lists every event and its fields. Secret keys never reach this module;
// callers pass only public, encoded values.
import type { LogEvent, LogEvents } from './log-events.ts'

export type Logger = <E extends LogEvent>(event: E, fields: LogEvents[E]) => void

export function createLogger (write: (line: string) => void): Logger {
  return (event, fields) => {
    write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + '\n')
  }
}
