import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { ExecutionContext } from 'ava'

// A small filesystem of its own for one test, so that it can be filled up without
// touching the machine's disk; unmounted when the test ends, passed or failed.
// Mounting needs root: without it the test is skipped with the reason, except on CI,
// where a skipped test would hide that the behaviour went unchecked.
export function mountTmpfs (t: ExecutionContext, sizeBytes: number): string | null {
  const reason = whyNoMount()
  if (reason) {
    if (process.env.CI === 'true') throw new Error(`this test mounts a tmpfs and ${reason}; CI must run the tests as root`)
    t.log(`skipped: ${reason} (run the tests as root to check this)`)
    return null
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-tmpfs-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir])
  t.teardown(() => {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' })
    } catch {
      // Still busy (a process that would not die): detach it, it goes when unused.
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
    }
    fs.rmdirSync(dir)
  })
  return dir
}

function whyNoMount (): string | null {
  if (process.platform !== 'linux') return `mounting a tmpfs needs Linux, this is ${process.platform}`
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root'
  return null
}

// Free bytes for an unprivileged writer on the filesystem holding `dir`.
export function freeBytes (dir: string): number {
  const st = fs.statfsSync(dir)
  return Number(st.bavail) * Number(st.bsize)
}
