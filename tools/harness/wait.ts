// Waiting, for the demo, the bench and the tests: every wait has a deadline and, when it
// runs out, says what it waited for and the last error seen or what the processes logged.
import { HarnessError } from './errors.ts'

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// Polls until `check` returns a value other than undefined; fails with `what` after
// `timeoutMs`. A check that throws is tried again; its last error is in the message.
export async function until<T> (what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown = null
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    await sleep(everyMs)
  }
  throw HarnessError.WAIT_TIMEOUT(what, timeoutMs, lastError ? `last error: ${String(lastError)}` : '')
}

// Waits for `work` until `timeoutMs`, then fails with `what` and what `log` says the
// processes involved last logged. Work that loses the race settles unobserved: the
// caller stops what it was waiting on.
export async function withDeadline<T> (what: string, work: Promise<T>, timeoutMs: number, log: () => string = () => ''): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(HarnessError.WAIT_TIMEOUT(what, timeoutMs, log())), timeoutMs)
  })
  work.catch(() => {})
  try {
    return await Promise.race([work, expired])
  } finally {
    clearTimeout(timer)
  }
}
