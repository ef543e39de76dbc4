import fs from 'node:fs'
import path from 'node:path'
import { sleep } from './wait.ts'

// A memory cgroup of its own, limited like the board's systemd unit limits the node
// (MemoryMax = memory_budget_mb), for tests and the bench. Works with cgroup v1's memory
// controller and with cgroup v2. `remove` kills anything still in it first.
export interface MemoryCgroup {
  // The cgroup.procs file a process writes its pid to (local-node.ts startNode).
  procs: string
  // Most memory charged to the cgroup so far, and how many times the kernel's OOM
  // killer killed a process in it.
  maxUsageBytes (): number
  oomKills (): number
  remove (): Promise<void>
}

const V1 = '/sys/fs/cgroup/memory'
const V2 = '/sys/fs/cgroup'

export function createMemoryCgroup (limitBytes: number): MemoryCgroup {
  const v1 = fs.existsSync(path.join(V1, 'memory.limit_in_bytes'))
  const dir = path.join(v1 ? V1 : V2, `roost-${process.pid}-${Math.random().toString(36).slice(2, 8)}`)
  fs.mkdirSync(dir)
  const read = (file: string): string => fs.readFileSync(path.join(dir, file), 'utf8')
  const cgroup: MemoryCgroup = {
    procs: path.join(dir, 'cgroup.procs'),
    maxUsageBytes: () => Number(read(v1 ? 'memory.max_usage_in_bytes' : 'memory.peak').trim()),
    oomKills: () => Number(/^oom_kill (\d+)$/m.exec(read(v1 ? 'memory.oom_control' : 'memory.events'))?.[1] ?? 0),
    async remove () {
      const pids = (): number[] => read('cgroup.procs').split('\n').filter(Boolean).map(Number)
      for (let i = 0; i < 50 && pids().length > 0; i++) {
        for (const pid of pids()) {
          try { process.kill(pid, 'SIGKILL') } catch {}
        }
        await sleep(100)
      }
      fs.rmdirSync(dir)
    }
  }
  try {
    fs.writeFileSync(path.join(dir, v1 ? 'memory.limit_in_bytes' : 'memory.max'), String(limitBytes))
    // Swap is counted apart: without these a swapping node would not be stopped.
    if (v1 && fs.existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'))) fs.writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes))
    if (!v1) fs.writeFileSync(path.join(dir, 'memory.swap.max'), '0')
  } catch (err) {
    fs.rmdirSync(dir)
    throw err
  }
  return cgroup
}

// Why no memory cgroup can be made here, or null when one can.
export function whyNoMemoryCgroup (): string | null {
  if (process.platform !== 'linux') return `memory cgroups need Linux, this is ${process.platform}`
  if (process.getuid?.() !== 0) return 'creating a cgroup needs root'
  if (fs.existsSync(path.join(V1, 'memory.limit_in_bytes'))) return null
  let controllers = ''
  try {
    controllers = fs.readFileSync(path.join(V2, 'cgroup.controllers'), 'utf8')
  } catch {}
  if (!controllers.split(/\s+/).includes('memory')) return 'this machine has no cgroup memory controller (v1 or v2)'
  return null
}
