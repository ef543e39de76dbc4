// `roost deploy --ssh root@ROUTER --device NAME` for a Lua agent router of a provisioned
// fleet: the board's agent package (.ipk) and the device's /etc/config/roost-agent go over
// SSH, opkg installs the package (and lua5.3 and luasocket5.3 from the router's feed when
// they are missing), the agent checks its config, and the service is enabled and
// restarted. Only what OpenWrt has is used: its SSH server (dropbear) taking a file on
// stdin to `cat`, opkg and the init script; no scp (OpenWrt has no sftp-server) or tar.
//
// The plan is data: `--dry-run` prints it and touches nothing, and the run follows it.
import fs from 'node:fs'
import path from 'node:path'
import { AGENT_BIN, AGENT_INIT, AGENT_UCI } from '../../targets/lua/procd.ts'
import { AGENT_DEPENDS } from '../../targets/lua/ipk.ts'
import type { AgentManifest } from '../../targets/lua/artifact.ts'
import { ProvisionError } from './errors.ts'
import { agentUciFile, artifactName, type InventoryDevice } from './layout.ts'
import type { SshRunner } from './ssh.ts'

export interface AgentDeployPlan {
  device: string
  target: string
  // From the provisioning folder to the router, each with its mode there.
  copies: Array<{ from: string, to: string, mode: number }>
  // Run on the router one after the other (one shell, set -e), stopping at the first that fails.
  commands: string[]
}

// The new config waits beside the live one until the package is installed: opkg would
// otherwise meet an unowned file where the package's conffile goes.
const STAGED_UCI = `${AGENT_UCI}.roost-new`

export function agentDeployPlan (outDir: string, device: InventoryDevice, target: string): AgentDeployPlan {
  const artifact = path.join(outDir, device.artifact ?? `artifacts/${artifactName(device.board)}`)
  let manifest: AgentManifest
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(artifact, 'manifest.json'), 'utf8')) as AgentManifest
  } catch {
    throw ProvisionError.DEVICE_FILE_MISSING(device.name, `agent artifact (${path.join(artifact, 'manifest.json')})`)
  }
  const ipk = path.join(artifact, manifest.package.file)
  const uci = agentUciFile(outDir, device.name)
  for (const file of [ipk, uci]) if (!fs.existsSync(file)) throw ProvisionError.DEVICE_FILE_MISSING(device.name, file)
  const remoteIpk = `/tmp/${manifest.package.file}`
  const installed = AGENT_DEPENDS.map((p) => `opkg list-installed | grep -q '^${p.replaceAll('.', '\\.')} '`).join(' && ')
  return {
    device: device.name,
    target,
    copies: [
      { from: ipk, to: remoteIpk, mode: 0o644 },
      { from: uci, to: STAGED_UCI, mode: 0o600 }
    ],
    commands: [
      `${installed} || { opkg update && opkg install ${AGENT_DEPENDS.join(' ')}; }`,
      `opkg install ${remoteIpk}`,
      `mv -f ${STAGED_UCI} ${AGENT_UCI}`,
      `chmod 600 ${AGENT_UCI}`,
      `${AGENT_BIN} --check ${AGENT_UCI}`,
      `${AGENT_INIT} enable`,
      `${AGENT_INIT} restart`,
      `rm -f ${remoteIpk}`
    ]
  }
}

// What --dry-run prints: the files (never their contents) and the commands.
export function formatAgentPlan (plan: AgentDeployPlan): string {
  return [
    `deploy Lua agent ${plan.device} to ${plan.target} (nothing done: --dry-run)`,
    `check: opkg and ${path.dirname(AGENT_UCI)} are there (an OpenWrt router)`,
    ...plan.copies.map((c) => `copy ${c.from} → ${c.to} (mode ${c.mode.toString(8)})`),
    ...plan.commands.map((c) => `run ${c}`)
  ].join('\n') + '\n'
}

export async function runAgentPlan (plan: AgentDeployPlan, ssh: SshRunner, say: (line: string) => void): Promise<string> {
  const check = await ssh.run(`command -v opkg > /dev/null && [ -d ${path.dirname(AGENT_UCI)} ]`, { check: false })
  if (check.code !== 0) throw ProvisionError.NOT_OPENWRT_TARGET(plan.target, plan.device)
  for (const copy of plan.copies) {
    say(`copying ${path.basename(copy.from)} to ${plan.target}:${copy.to}`)
    await ssh.send(copy.from, `umask ${(0o777 & ~copy.mode).toString(8).padStart(3, '0')} && cat > ${copy.to}`)
  }
  say(`installing on ${plan.target}`)
  const run = await ssh.run(['set -e', ...plan.commands].join('\n'), { check: false })
  const log = run.stdout + run.stderr
  // The staged config holds the key: it does not stay in /etc/config under another name.
  if (run.code !== 0) {
    await ssh.run(`rm -f ${STAGED_UCI}`, { check: false })
    throw ProvisionError.AGENT_INSTALL_FAILED(plan.target, run.code, log.trim())
  }
  return log
}
