// One JSON object per line on stdout: easy for journald, logread and tests to read.
// Secret keys never reach this module; callers pass only public, encoded values.
export type LogFields = Record<string, string | number | boolean | null | string[] | undefined>

export type Logger = (event: string, fields?: LogFields) => void

export function createLogger (write: (line: string) => void): Logger {
  return (event, fields = {}) => {
    write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + '\n')
  }
}
