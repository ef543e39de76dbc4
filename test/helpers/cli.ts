import { execFile } from 'node:child_process'
import path from 'node:path'
import { REPO_ROOT } from '../../targets/bundle.ts'

export interface CliResult { code: number, stdout: string, stderr: string }

// Runs the real `roost` CLI as a user would, with its data folder in `home`.
export function roost (args: string[], opts: { home: string, timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO_ROOT, 'bin', 'roost.js'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ROOST_HOME: opts.home },
      timeout: opts.timeoutMs ?? 60_000
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      // A run killed at its deadline says so, rather than passing for a silent exit 1.
      const killed = err?.killed === true ? `roost ${args.join(' ')}: killed by the test after ${opts.timeoutMs ?? 60_000} ms (${err.signal ?? 'no signal'})\n` : ''
      resolve({ code, stdout, stderr: stderr + killed })
    })
  })
}
