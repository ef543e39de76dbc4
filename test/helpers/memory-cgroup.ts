import fs from 'node:fs'
import path from 'node:path'
import type { ExecutionContext } from 'ava'
import { sleep } from '../../tools/measure.ts'

// A memory cgroup of its own for one test, limited like the board's systemd unit
// limits the node (MemoryMax = memory_budget_mb). Works with cgroup v1's memory
// controller and with cgroup v2; removed when the test ends, passed or failed, after
// anything still in it is killed. Without root or a memory controller the test is
// skipped with the reason, except on CI, where that would hide an unchecked limit.
export interface MemoryCgroup {
  // The cgroup.procs file a process writes its pid to (tools/local-node.ts startNode).
  procs: string
  // Most memory charged to the cgroup so far, and how many times the kernel's OOM
  // killer killed a process in it.
  maxUsageBytes (): number
  oomKills (): number
}

const V1 = '/sys/fs/cgroup/memory'
const V2 = '/sys/fs/cgroup'

export function memoryCgroup (t: ExecutionContext, limitBytes: number): MemoryCgroup | null {
  const reason = whyNoCgroup()
  if (reason) {
    if (process.env.CI === 'true') throw new Error(`this test runs the node in a memory cgroup and ${reason}; CI must run the tests as root`)
    t.log(`skipped: ${reason}`)
    return null
  }
  const v1 = fs.existsSync(path.join(V1, 'memory.limit_in_bytes'))
  const dir = path.join(v1 ? V1 : V2, `roost-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`)
  fs.mkdirSync(dir)
  t.teardown(async () => {
    const procs = (): number[] => fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
    for (let i = 0; i < 50 && procs().length > 0; i++) {
      for (const pid of procs()) {
        try { process.kill(pid, 'SIGKILL') } catch {}
      }
      await sleep(100)
    }
    fs.rmdirSync(dir)
  })
  fs.writeFileSync(path.join(dir, v1 ? 'memory.limit_in_bytes' : 'memory.max'), String(limitBytes))
  // cgroup v1 counts swap separately: without this a swapping node would not be stopped.
  if (v1 && fs.existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'))) fs.writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes))
  if (!v1) fs.writeFileSync(path.join(dir, 'memory.swap.max'), '0')
  const read = (file: string): string => fs.readFileSync(path.join(dir, file), 'utf8')
  return {
    procs: path.join(dir, 'cgroup.procs'),
    maxUsageBytes: () => Number(read(v1 ? 'memory.max_usage_in_bytes' : 'memory.peak').trim()),
    oomKills: () => Number(/^oom_kill (\d+)$/m.exec(read(v1 ? 'memory.oom_control' : 'memory.events'))?.[1] ?? 0)
  }
}

function whyNoCgroup (): string | null {
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
