import path from 'node:path'
import { deploy as deployDevice } from '../../provision/deploy.ts'
import { DEFAULT_PROVISION_DIR } from '../../provision/layout.ts'
import { defineCommand, intFlag, usageError } from '../args.ts'

export const deploy = defineCommand({
  name: 'deploy',
  summary: 'Install a provisioned device over SSH: a Debian or Raspberry Pi OS node, or a Lua agent router.',
  details: 'Copies the board\'s artifact (only when the device lacks this very one), the device\'s config, unit\n' +
    'and identity (and its agents\' keys), then runs install.sh there: it checks the device first, installs\n' +
    'under /opt/roost, creates the roost user and starts the service. Run it again after provisioning again.\n' +
    'A Lua agent router (OpenWrt, as root) gets its board\'s .ipk and its /etc/config/roost-agent: opkg\n' +
    'installs the package (and lua5.3 and luasocket5.3 when missing), the agent checks the config, and the\n' +
    'service is enabled and restarted; --dry-run prints those steps and does nothing.',
  usage: 'roost deploy --ssh USER@HOST --device NAME [--out DIR] [--ssh-port N] [--ssh-key FILE] [--known-hosts FILE] [--prefix DIR] [--no-start] [--dry-run]',
  flags: {
    ssh: { type: 'string', value: 'USER@HOST', help: 'the device, as ssh reaches it (root, or a user with sudo-free write access under --prefix)' },
    device: { type: 'string', value: 'NAME', help: 'the device, as the inventory names it' },
    out: { type: 'string', value: 'DIR', help: `provisioning folder, as roost provision wrote it (default: ${DEFAULT_PROVISION_DIR})` },
    'ssh-port': { type: 'string', value: 'N', help: 'SSH port (default: ssh\'s own, 22)' },
    'ssh-key': { type: 'string', value: 'FILE', help: 'private key to log in with (default: ssh\'s own and the agent\'s)' },
    'known-hosts': { type: 'string', value: 'FILE', help: 'known_hosts file holding the device\'s host key (default: ssh\'s own)' },
    prefix: { type: 'string', value: 'DIR', help: 'install under this folder on the device, without root or systemctl (staging)' },
    'no-start': { type: 'boolean', help: 'install and enable the service, but do not start it' },
    'dry-run': { type: 'boolean', help: 'for a Lua agent router: print the files it would copy and the commands it would run' }
  }
}, async (flags) => {
  if (flags.ssh === undefined) throw usageError('deploy', 'missing --ssh USER@HOST')
  if (!/^[^\s@'"]+@[^\s@'"]+$/.test(flags.ssh)) throw usageError('deploy', `--ssh must be USER@HOST, got "${flags.ssh}"`)
  if (flags.device === undefined) throw usageError('deploy', 'missing --device NAME')
  const result = await deployDevice({
    outDir: path.resolve(flags.out ?? DEFAULT_PROVISION_DIR),
    device: flags.device,
    target: flags.ssh,
    port: flags['ssh-port'] === undefined ? undefined : intFlag('deploy', 'ssh-port', flags['ssh-port'], 22, 1, 65535),
    sshKey: flags['ssh-key'],
    knownHosts: flags['known-hosts'],
    prefix: flags.prefix,
    start: flags['no-start'] !== true,
    dryRun: flags['dry-run'] === true,
    say: (line) => process.stderr.write(line + '\n')
  })
  process.stdout.write(result.installLog)
  return 0
})
