// `roost deploy --ssh USER@HOST --device NAME`: puts a provisioned Debian or Raspberry Pi
// OS device's artifact, config, unit and identity on it over SSH and runs the artifact's
// install.sh there, which installs, enables and starts the node. Run again, it copies
// the artifact only when it changed and install.sh changes nothing. The identity is
// copied into a root-only staging folder and removed from it once install.sh has put it
// in the node's data folder, or has refused to.
//
// Only OpenSSH's own client is used (ssh, with its config and agent unless told
// otherwise), and tar on both ends: what every Debian system has.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { loadProvisionedDevice } from './device.ts'
import { ProvisionError } from './errors.ts'

export interface DeployOptions {
  outDir: string
  device: string
  // USER@HOST, as ssh takes it.
  target: string
  port?: number
  // A private key, and a known_hosts file (default: ssh's own).
  sshKey?: string
  knownHosts?: string
  // install.sh --prefix on the device: everything under this folder, no root needed,
  // no systemctl (for staging and tests).
  prefix?: string
  start?: boolean
  say?: (line: string) => void
}

export interface DeployResult {
  // Whether the artifact had to be copied (false: the device had this very one).
  copied: boolean
  // What install.sh printed.
  installLog: string
}

// Where the device keeps what deploy sent: under the prefix, or root's own folder.
const STAGE = '.roost-deploy'

export async function deploy (opts: DeployOptions): Promise<DeployResult> {
  const say = opts.say ?? (() => {})
  const dev = loadProvisionedDevice(opts.outDir, opts.device, (board) => {
    if (board.init !== 'systemd') throw ProvisionError.NOT_SYSTEMD(opts.device, board.id)
  })
  const ssh = sshRunner(opts)
  const stage = opts.prefix === undefined ? `~/${STAGE}/${dev.device.name}` : `${quote(opts.prefix)}/${STAGE}/${dev.device.name}`
  const manifest = fs.readFileSync(`${dev.artifactDir}/manifest.json`, 'utf8')

  // The device's copy of the artifact is the same when its manifest is (it lists every
  // file's sha256, and install.sh checks each file against it).
  const theirs = await ssh.run(`umask 077 && mkdir -p ${stage} && cat ${stage}/artifact/manifest.json 2>/dev/null || true`)
  const copied = theirs.stdout !== manifest
  if (copied) {
    say(`copying the ${dev.board.id} artifact to ${opts.target}`)
    await ssh.upload(dev.artifactDir, '.', `rm -rf ${stage}/artifact.new && mkdir -p ${stage}/artifact.new && tar -xf - -C ${stage}/artifact.new && ` +
      `rm -rf ${stage}/artifact && mv ${stage}/artifact.new ${stage}/artifact`)
  } else {
    say(`${opts.target} already has this ${dev.board.id} artifact`)
  }
  await ssh.upload(`${opts.outDir}/${dev.device.device}`, '.', `umask 077 && rm -rf ${stage}/device && mkdir -p ${stage}/device && tar -xf - -C ${stage}/device`)

  say(`installing on ${opts.target}`)
  const args = [
    '--config', `${stage}/device/config.json`, '--identity', `${stage}/device/identity.json`, '--unit', `${stage}/device/roost.service`,
    ...(opts.prefix === undefined ? [] : ['--prefix', quote(opts.prefix)]),
    ...(opts.start === false ? ['--no-start'] : [])
  ]
  const install = await ssh.run(`sh ${stage}/artifact/install.sh ${args.join(' ')}; status=$?; rm -f ${stage}/device/identity.json; exit $status`, { check: false })
  const installLog = install.stdout + install.stderr
  if (install.code !== 0) throw ProvisionError.INSTALL_FAILED(opts.target, install.code, installLog.trim())
  return { copied, installLog }
}

interface SshRunner {
  run (command: string, opts?: { check?: boolean }): Promise<{ code: number, stdout: string, stderr: string }>
  // Streams `dir` as a tar archive into `command` on the device.
  upload (dir: string, what: string, command: string): Promise<void>
}

const SSH_TIMEOUT_S = 20

function sshRunner (opts: DeployOptions): SshRunner {
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
    })
  }
}

// For the device's shell: one word, whatever it holds.
function quote (value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`
}
