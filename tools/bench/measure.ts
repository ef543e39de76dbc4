// Reading figures for `roost bench`: peak memory and CPU time of a running process
// from the kernel, and the statistics the report gives (medians, percentiles).
import fs from 'node:fs'
import { HarnessError } from '../harness/errors.ts'

// Peak resident set size of a running process, from the kernel.
export function vmHwmKb (pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw HarnessError.CHECK_FAILED(`no VmHWM for pid ${pid}`)
  return Number(match[1])
}

// Linux reports utime and stime in USER_HZ ticks, which is 100 on every architecture
// roost runs on.
const USER_HZ = 100

// User plus system CPU time a running process has used so far, in milliseconds.
export function cpuMs (pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1000 / USER_HZ
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return round(sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2)
}

// Nearest-rank percentile: the smallest sample at or above p percent of the samples.
export function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return round(sorted[Math.max(0, Math.ceil(p / 100 * sorted.length) - 1)])
}

export function round (n: number): number {
  return Math.round(n * 10) / 10
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
