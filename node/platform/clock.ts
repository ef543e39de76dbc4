import { platform } from '#platform'

// Monotonic milliseconds. upstream(bare@1.31.0): Bare has no global `performance`.
export function nowMs (): number {
  return platform.nowMs()
}
