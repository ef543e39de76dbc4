import type { ExecutionContext } from 'ava'
import { createMemoryCgroup, whyNoMemoryCgroup, type MemoryCgroup } from '../../tools/harness/memory-cgroup.ts'

// A memory cgroup for one test (tools/harness/memory-cgroup.ts), removed when the test ends,
// passed or failed. Without root or a memory controller the test goes on without a
// limit and says so, except on CI, where that would hide an unchecked limit.
export function memoryCgroup (t: ExecutionContext, limitBytes: number): MemoryCgroup | null {
  const reason = whyNoMemoryCgroup()
  if (reason) {
    if (process.env.CI === 'true') throw new Error(`this test runs the node in a memory cgroup and ${reason}; CI must run the tests as root`)
    t.log(`no memory limit: ${reason}`)
    return null
  }
  const cgroup = createMemoryCgroup(limitBytes)
  t.teardown(() => cgroup.remove())
  return cgroup
}
