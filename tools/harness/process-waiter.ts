// Waiting on a child process's output: a promise that resolves with what `found`
// returns once it returns something, re-checked on every `wake()` (new output, the
// process ending); it rejects when the process has ended first or the time is up.
import { HarnessError } from './errors.ts'
export interface ProcessWaiter {
  wake (): void
  until<T> (found: () => T | undefined, what: string, timeoutMs: number): Promise<T>
}

// `gone` says whether the process has ended; `describe` is what an error adds (its log).
export function processWaiter (name: string, gone: () => boolean, describe: () => string): ProcessWaiter {
  const waiters = new Set<() => void>()
  return {
    wake () { for (const check of waiters) check() },
    until<T> (found: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const value = found()
          if (value !== undefined) return done(() => resolve(value))
          if (gone()) return done(() => reject(HarnessError.EXITED(name, what, describe())))
        }
        const timer = setTimeout(() => done(() => reject(HarnessError.WAIT_TIMEOUT(what, timeoutMs, describe()))), timeoutMs)
        const done = (fn: () => void): void => {
          clearTimeout(timer)
          waiters.delete(check)
          fn()
        }
        waiters.add(check)
        check()
      })
    }
  }
}
