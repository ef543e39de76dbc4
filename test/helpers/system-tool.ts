import { spawnSync, type SpawnSyncOptions } from 'node:child_process'
import type { ExecutionContext } from 'ava'

export interface ToolResult { code: number | null, stdout: string, stderr: string }

// Runs a system tool the test needs for real (tar, sh, systemd-analyze). A missing one
// fails the test with the way to get it, on CI and off it: nothing is skipped.
export function runTool (t: ExecutionContext, command: string, args: string[], opts: SpawnSyncOptions = {}): ToolResult {
  const result = spawnSync(command, args, { encoding: 'utf8', ...opts })
  if ((result.error as (Error & { code?: string }) | undefined)?.code === 'ENOENT') {
    t.fail(`${command} is not installed: run scripts/system-deps.sh (as root it installs what the tests need)`)
  } else if (result.error) {
    t.fail(`${command} ${args.join(' ')}: ${result.error.message}`)
  }
  return { code: result.status, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') }
}
