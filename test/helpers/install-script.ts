import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { ExecutionContext } from 'ava'

export interface InstallRun { code: number | null, stdout: string, stderr: string }

export const NOBODY = { uid: 65534, gid: 65534 }

const isRoot = (): boolean => process.getuid?.() === 0

// Runs an artifact's install.sh with only the environment given (and a plain PATH), as
// nobody when asked: through setpriv when the tests run as root, as is when they do not.
export function installAs (artifactDir: string, args: string[], opts: { env?: NodeJS.ProcessEnv, user?: 'nobody' } = {}): InstallRun {
  const command = ['sh', path.join(artifactDir, 'install.sh'), ...args]
  const asNobody = opts.user === 'nobody' && isRoot()
    ? ['setpriv', `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', ...command]
    : command
  const result = spawnSync(asNobody[0], asNobody.slice(1), {
    encoding: 'utf8',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env }
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

// Every file and folder under dir with what a change would alter: a second install that
// changes nothing leaves this equal.
export function snapshot (dir: string): Record<string, { mode: number, size: number, mtimeMs: number, ino: number }> {
  const entries: Record<string, { mode: number, size: number, mtimeMs: number, ino: number }> = {}
  for (const rel of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const { mode, size, mtimeMs, ino } = fs.lstatSync(path.join(dir, rel))
    entries[rel] = { mode, size, mtimeMs, ino }
  }
  return entries
}

// A test that must be root (users, mounts): without root it is skipped with the reason,
// except on CI, where a skipped test would hide that the behaviour went unchecked.
export function asRoot (t: ExecutionContext, why: string): boolean {
  if (isRoot()) return true
  if (process.env.CI === 'true') {
    t.fail(`this test needs root: ${why}; CI must run the tests as root`)
  } else {
    t.log(`skipped: this test needs root: ${why}`)
    t.pass()
  }
  return false
}
