// `roost deploy --ssh USER@HOST --device NAME`: puts a provisioned Debian or Raspberry Pi
// OS device's artifact, config, unit and identity on it over SSH and runs the artifact's
// install.sh there, which installs, enables and starts the node. A Lua agent router takes
// its package and UCI config instead (deploy-agent.ts). Run again, it copies
// the artifact only when it changed and install.sh changes nothing. The identity (and the
// node's copies of its agents' keys) is copied into a root-only staging folder and
// removed from it once install.sh has put it in the node's data folder, or has refused to.
//
// Only OpenSSH's own client is used (ssh, with its config and agent unless told
// otherwise), and tar on both ends: what every Debian system has.
import fs from 'node:fs'
import { agentDeployPlan, formatAgentPlan, runAgentPlan } from './deploy-agent.ts'
import { loadProvisionedDevice } from './device.ts'
import { ProvisionError } from './errors.ts'
import { inventoryFile, LAN_KEYS_DIR } from './layout.ts'
import { readInventory } from './read-inventory.ts'
import { sshRunner } from './ssh.ts'

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
  // Print what would be copied and run, and do nothing (Lua agent routers).
  dryRun?: boolean
  say?: (line: string) => void
}

export interface DeployResult {
  // Whether the artifact had to be copied (false: the device had this very one).
  copied: boolean
  // What install.sh (or opkg and the agent's init script) printed; the plan for --dry-run.
  installLog: string
}

// Where the device keeps what deploy sent: under the prefix, or root's own folder.
const STAGE = '.roost-deploy'

export async function deploy (opts: DeployOptions): Promise<DeployResult> {
  const say = opts.say ?? (() => {})
  const agent = readInventory(inventoryFile(opts.outDir)).devices.find((d) => d.name === opts.device && d.agent !== undefined)
  if (agent !== undefined) {
    if (opts.prefix !== undefined) throw ProvisionError.AGENT_NO_PREFIX(opts.device)
    const plan = agentDeployPlan(opts.outDir, agent, opts.target)
    if (opts.dryRun === true) return { copied: false, installLog: formatAgentPlan(plan) }
    return { copied: true, installLog: await runAgentPlan(plan, sshRunner(opts), say) }
  }
  if (opts.dryRun === true) throw ProvisionError.DRY_RUN_AGENTS_ONLY(opts.device)
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
    ...(dev.lanKeysDir === null ? [] : ['--lan-keys', `${stage}/device/${LAN_KEYS_DIR}`]),
    ...(opts.prefix === undefined ? [] : ['--prefix', quote(opts.prefix)]),
    ...(opts.start === false ? ['--no-start'] : [])
  ]
  // The secrets leave the staging folder whatever install.sh did with them.
  const install = await ssh.run(`sh ${stage}/artifact/install.sh ${args.join(' ')}; status=$?; ` +
    `rm -rf ${stage}/device/identity.json ${stage}/device/${LAN_KEYS_DIR}; exit $status`, { check: false })
  const installLog = install.stdout + install.stderr
  if (install.code !== 0) throw ProvisionError.INSTALL_FAILED(opts.target, install.code, installLog.trim())
  return { copied, installLog }
}

// For the device's shell: one word, whatever it holds.
function quote (value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`
}
