// The one way roost's install paths reach a device: OpenSSH's own client (its config and
// agent unless told otherwise), in batch mode, with a connect timeout.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { ProvisionError } from './errors.ts'

export interface SshOptions {
  // USER@HOST, as ssh takes it.
  target: string
  port?: number
  sshKey?: string
  knownHosts?: string
}

export interface SshRunner {
  run (command: string, opts?: { check?: boolean }): Promise<{ code: number, stdout: string, stderr: string }>
  // Streams `dir` as a tar archive into `command` on the device.
  upload (dir: string, what: string, command: string): Promise<void>
  // Gives `file` to `command` on the device as its standard input.
  send (file: string, command: string): Promise<void>
}

const SSH_TIMEOUT_S = 20

export function sshRunner (opts: SshOptions): SshRunner {
  const base = [
    '-o', 'BatchMode=yes',
    '-o', `ConnectTimeout=${SSH_TIMEOUT_S}`,
    ...(opts.port !== undefined ? ['-p', String(opts.port)] : []),
    ...(opts.sshKey !== undefined ? ['-i', opts.sshKey, '-o', 'IdentitiesOnly=yes'] : []),
    ...(opts.knownHosts !== undefined ? ['-o', `UserKnownHostsFile=${opts.knownHosts}`, '-o', 'StrictHostKeyChecking=yes'] : []),
    opts.target, '--'
  ]
  const run: SshRunner['run'] = (command, runOpts = {}) => new Promise((resolve, reject) => {
    const child = spawn('ssh', [...base, command], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    child.once('error', (err) => reject(ProvisionError.SSH_TOOL_MISSING('ssh', err)))
    child.once('close', (code) => {
      // 255 is ssh's own failure: it never reached the device.
      if (code === 255) return reject(ProvisionError.SSH_FAILED(opts.target, stderr.trim()))
      if (runOpts.check !== false && code !== 0) return reject(ProvisionError.SSH_FAILED(opts.target, `${command}: exit ${code}: ${stderr.trim()}`))
      resolve({ code: code ?? 1, stdout, stderr })
    })
  })
  return {
    run,
    upload: (dir, what, command) => new Promise((resolve, reject) => {
      const tar = spawn('tar', ['-C', dir, '-cf', '-', what], { stdio: ['ignore', 'pipe', 'pipe'] })
      const child = spawn('ssh', [...base, command], { stdio: ['pipe', 'ignore', 'pipe'] })
      tar.stdout.pipe(child.stdin)
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      tar.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      child.once('error', (err) => reject(ProvisionError.SSH_TOOL_MISSING('ssh', err)))
      tar.once('error', (err) => reject(ProvisionError.SSH_TOOL_MISSING('tar', err)))
      child.once('close', (code) => {
        if (code === 0) resolve()
        else reject(ProvisionError.SSH_FAILED(opts.target, `copying ${dir}: exit ${code}: ${stderr.trim()}`))
      })
    }),
    send: (file, command) => new Promise((resolve, reject) => {
      const fd = fs.openSync(file, 'r')
      const child = spawn('ssh', [...base, command], { stdio: [fd, 'ignore', 'pipe'] })
      fs.closeSync(fd)
      let stderr = ''
      child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      child.once('error', (err) => reject(ProvisionError.SSH_TOOL_MISSING('ssh', err)))
      child.once('close', (code) => {
        if (code === 0) resolve()
        else reject(ProvisionError.SSH_FAILED(opts.target, `copying ${file}: exit ${code}: ${stderr.trim()}`))
      })
    })
  }
}
