import { platform } from '#platform'

// Monotonic milliseconds: Bare has no global `performance`.
export function nowMs (): number {
  return platform.nowMs()
}
