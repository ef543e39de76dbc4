import process from '#process'

// Monotonic milliseconds: Bare has no global `performance`, both runtimes have hrtime.
export function nowMs (): number {
  return Number(process.hrtime.bigint()) / 1e6
}
