// Which Raspberry Pi OS release a boot partition belongs to, from what the release's
// image builder (RPi-Distro/pi-gen) puts there. Facts, read in pi-gen's branches:
// - Trixie (master) installs cloud-init and seeds meta-data, user-data and network-config
//   on the boot partition (stage2/04-cloud-init); Bookworm's branch has no cloud-init
//   stage. Raspberry Pi Imager adds `ds=nocloud;i=ID` to cmdline.txt when it customises
//   a cloud-init image.
// - Bookworm's cmdline.txt ends in `quiet init=/usr/lib/raspberrypi-sys-mods/firstboot`
//   (stage2/01-sys-tweaks/00-patches/07-resize-init.diff); Trixie's in `rootwait resize`.
// - Bookworm and later mount the partition at /boot/firmware and their config.txt says
//   "/boot/firmware/overlays/README"; Bullseye's says "/boot/overlays/README", and
//   Bullseye shares Bookworm's init= entry.
// - issue.txt reads "Raspberry Pi reference DATE" and the pi-gen commit: it does not name
//   the release, and Bookworm images are still built after Trixie's, so it is not used.
import type { BootPartition } from './boot-partition.ts'
import { cmdlineTokens } from './cmdline.ts'
import { ProvisionError } from '../errors.ts'

export const OS_RELEASES = ['trixie', 'bookworm'] as const
export type OsRelease = typeof OS_RELEASES[number]

export const CLOUD_INIT_FILES = ['user-data', 'meta-data', 'network-config'] as const

export interface Detected {
  release: OsRelease
  // What gave it away, for the summary.
  because: string
}

export function detectRelease (boot: BootPartition): Detected {
  const tokens = cmdlineTokens(boot.readFile('cmdline.txt') ?? Buffer.alloc(0))
  const seeded = CLOUD_INIT_FILES.filter((name) => boot.readFile(name) !== null)
  if (tokens.some((token) => token.startsWith('ds=nocloud'))) return { release: 'trixie', because: 'cmdline.txt names ds=nocloud' }
  if (seeded.length > 0) return { release: 'trixie', because: `cloud-init's ${seeded.join(', ')} on the boot partition` }

  const config = boot.readFile('config.txt')?.toString('utf8') ?? ''
  const firstboot = tokens.includes('init=/usr/lib/raspberrypi-sys-mods/firstboot')
  const firstrun = tokens.some((token) => token.startsWith('systemd.run=')) || boot.readFile('firstrun.sh') !== null
  if (config.includes('/boot/overlays/') && !config.includes('/boot/firmware/')) throw ProvisionError.OS_TOO_OLD(boot.where)
  if (config.includes('/boot/firmware/') && (firstboot || firstrun)) {
    return { release: 'bookworm', because: firstboot ? 'Bookworm\'s firstboot entry in cmdline.txt and no cloud-init files' : 'firstrun.sh and no cloud-init files' }
  }
  throw ProvisionError.OS_UNKNOWN(boot.where, 'no cloud-init files, no ds=nocloud, and no Bookworm firstboot or firstrun.sh entry in cmdline.txt')
}
