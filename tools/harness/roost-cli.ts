// The real `roost` CLI as a separate process, as a user runs it: for tests and the bench
// where the client must run elsewhere than this process (inside a network namespace of
// a lab, netlab.ts). It dies with this process, and is killed at its deadline.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { REPO_ROOT } from '../../targets/bundle.ts'
import { dieWithParent } from './local-node.ts'

export interface CliResult {
  // The exit code; null when the deadline killed it.
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

export interface CliOptions {
  // ROOST_HOME: where the CLI keeps its client identity and cores.
  home: string
  timeoutMs?: number
  // How a command runs in a network namespace (netlab.ts lab.inNamespace bound to one).
  inNamespace?: (command: string, args: string[]) => { command: string, args: string[] }
  // TMPDIR of the CLI (tsx keeps its cache there), for a caller that removes it after.
  tmpDir?: string
}

export function runRoost (args: string[], opts: CliOptions): Promise<CliResult> {
  const plain = { command: process.execPath, args: [path.join(REPO_ROOT, 'bin', 'roost.js'), ...args] }
  const placed = opts.inNamespace ? opts.inNamespace(plain.command, plain.args) : plain
  const { command, args: argv } = dieWithParent(placed.command, placed.args)
  const started = performance.now()
  return new Promise((resolve) => {
    execFile(command, argv, { cwd: REPO_ROOT, env: { ...process.env, ROOST_HOME: opts.home, ...(opts.tmpDir ? { TMPDIR: opts.tmpDir } : {}) }, timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null
      resolve({ code, stdout, stderr, ms: performance.now() - started })
    })
  })
}
