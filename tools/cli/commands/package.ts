import path from 'node:path'
import { DEFAULT_PROVISION_DIR } from '../../provision/layout.ts'
import { packageDevice } from '../../provision/package.ts'
import { defineCommand, usageError } from '../args.ts'

export const pkg = defineCommand({
  name: 'package',
  summary: 'Make a provisioned OpenWrt device\'s own .ipk package, to install with opkg.',
  details: 'The package holds the board\'s artifact, the procd init script, /etc/config/roost, the device\'s\n' +
    'config and its identity (the secret key: the file is mode 0600; copy it to the router over SSH and\n' +
    'run opkg install FILE there). OpenWrt 25.12 takes apk packages, which nothing here can write yet.',
  usage: 'roost package --device NAME [--out DIR]',
  flags: {
    device: { type: 'string', value: 'NAME', help: 'the device, as the inventory names it' },
    out: { type: 'string', value: 'DIR', help: `provisioning folder, as roost provision wrote it (default: ${DEFAULT_PROVISION_DIR})` }
  }
}, async (flags) => {
  if (flags.device === undefined) throw usageError('package', 'missing --device NAME')
  const { file, bytes, written } = packageDevice(path.resolve(flags.out ?? DEFAULT_PROVISION_DIR), flags.device)
  process.stdout.write(`${written ? 'wrote' : 'unchanged'}: ${path.relative(process.cwd(), file) || file} (${(bytes / 1024 / 1024).toFixed(1)} MiB, mode 0600: it holds the device's secret key)\n` +
    `on the router: opkg install /tmp/${path.basename(file)}\n`)
  return 0
})
