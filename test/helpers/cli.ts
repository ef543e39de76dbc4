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
      resolve({ code, stdout, stderr })
    })
  })
}
