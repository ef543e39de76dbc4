// Reading figures for `roost bench`: a running process's memory and CPU time from the
// kernel (/proc), the machine's load, and the statistics the report gives (medians,
// percentiles).
import fs from 'node:fs'
import os from 'node:os'
import { HarnessError } from '../harness/errors.ts'

// A kB field of /proc/PID/status.
function statusKb (pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw HarnessError.CHECK_FAILED(`no ${field} for pid ${pid}`)
  return Number(match[1])
}

// Peak resident set size of a running process so far.
export function vmHwmKb (pid: number): number {
  return statusKb(pid, 'VmHWM')
}

// Resident set size of a running process now.
export function vmRssKb (pid: number): number {
  return statusKb(pid, 'VmRSS')
}

// Resident memory of the process's own (anonymous) pages and of mapped files: the
// runtime binary and addons, pages the kernel can drop and read again under pressure.
export function rssKinds (pid: number): { anonMiB: number, fileMiB: number } {
  return { anonMiB: round(statusKb(pid, 'RssAnon') / 1024), fileMiB: round(statusKb(pid, 'RssFile') / 1024) }
}

export interface RssPart { part: string, mib: number }

// Where a process's resident memory is, from /proc/PID/smaps. V8 takes its heap in
// 256 KiB anonymous mappings, glibc's malloc grows [heap] (and 64 MiB arenas for
// threads); the runtime binary and the addons are file mappings.
export function rssBreakdown (pid: number): RssPart[] {
  const parts = new Map<string, number>()
  let part = ''
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (head) {
      const kb = (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024
      const name = head[3]
      if (name === '[heap]') part = 'malloc heap'
      else if (name === '') part = kb < 1024 ? 'small anonymous maps (V8 heap)' : 'large anonymous maps (malloc arenas, V8)'
      else if (name.endsWith('/bin/bare')) part = 'bare binary'
      else if (name.endsWith('.bare') || name.includes('.so')) part = 'addons and libraries'
      else part = 'other'
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (rss) parts.set(part, (parts.get(part) ?? 0) + Number(rss[1]))
  }
  return [...parts].map(([p, kb]) => ({ part: p, mib: round(kb / 1024) })).sort((a, b) => b.mib - a.mib)
}

// Linux reports utime and stime in USER_HZ ticks, which is 100 on every architecture
// roost runs on.
const USER_HZ = 100

// User plus system CPU time a running process has used so far, in milliseconds (all
// its threads).
export function cpuMs (pid: number): number {
  return statCpuMs(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))
}

// utime + stime of a /proc stat line. The command name may hold spaces and parentheses:
// fields are counted after the last ')'.
export function statCpuMs (stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1000 / USER_HZ
}

export interface ThreadTimes { name: string, cpuMs: number, wakeups: number }

// Each thread of a running process by id: its name, CPU time so far, and how often it
// has been put back on a CPU (voluntary and involuntary context switches): a thread that
// sleeps on a timer is woken once per expiry.
export function threadTimes (pid: number): Map<string, ThreadTimes> {
  const threads = new Map<string, ThreadTimes>()
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const dir = `/proc/${pid}/task/${tid}`
      const status = fs.readFileSync(`${dir}/status`, 'utf8')
      const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)$`, 'm').exec(status)?.[1] ?? 0)
      threads.set(tid, {
        name: fs.readFileSync(`${dir}/comm`, 'utf8').trim(),
        cpuMs: statCpuMs(fs.readFileSync(`${dir}/stat`, 'utf8')),
        wakeups: field('voluntary_ctxt_switches') + field('nonvoluntary_ctxt_switches')
      })
    } catch {
      // The thread ended while it was being read.
    }
  }
  return threads
}

// The machine's 1, 5 and 15 minute load averages, as the report prints them.
export function loadavg (): number[] {
  return os.loadavg().map(twoDecimals)
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

export function twoDecimals (n: number): number {
  return Number(n.toFixed(2))
}
