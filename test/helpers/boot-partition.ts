// Raspberry Pi OS boot partitions for the flash tests: FAT images made with mkfs.fat and
// read back with mtools (never mounted), and the files each release's image ships.
// The seeds follow RPi-Distro/pi-gen: master (Trixie) and the bookworm branch.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { ExecutionContext } from 'ava'
import { tmpDir } from './tmp.ts'

const MTOOLS_ENV = { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C' }

// Debian puts mkfs.fat in /usr/sbin, which a user's PATH may lack.
const MKFS_FAT = fs.existsSync('/usr/sbin/mkfs.fat') ? '/usr/sbin/mkfs.fat' : 'mkfs.fat'

const CONFIG_TXT = `# For more options and information see
# http://rptl.io/configtxt

# Enable audio (loads snd_bcm2835)
dtparam=audio=on

# Additional overlays and parameters are documented
# /boot/firmware/overlays/README

# Automatically load initramfs files, if found
auto_initramfs=1

[all]
`

// Trixie Lite: cmdline.txt ends in `resize`; cloud-init's three files are seeded with
// comments only, apart from meta-data.
export const TRIXIE: Record<string, string> = {
  'cmdline.txt': 'console=serial0,115200 console=tty1 root=PARTUUID=5f6a3e0c-02 rootfstype=ext4 fsck.repair=yes rootwait resize\n',
  'config.txt': CONFIG_TXT,
  'issue.txt': 'Raspberry Pi reference 2025-10-01\nGenerated using pi-gen, https://github.com/RPi-Distro/pi-gen, 0c4fa5a0, stage2\n',
  'user-data': '#cloud-config\n\n# cloud-init user-data: nothing is set by default.\n# See https://cloudinit.readthedocs.io/\n\n#hostname: raspberrypi\n\n## Run commands at rc.local like time\n#runcmd:\n#- [ ls, -l, / ]\n',
  'meta-data': '# cloud-init meta-data\ndsmode: local\ninstance_id: rpios-image\n',
  'network-config': '# netplan-compatible network configuration, applied on first boot\n\n#network:\n#  version: 2\n#  ethernets:\n#    eth0:\n#      dhcp4: true\n'
}

// Bookworm Lite: no cloud-init; the firstboot script runs from cmdline.txt's init=.
export const BOOKWORM: Record<string, string> = {
  'cmdline.txt': 'console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n',
  'config.txt': CONFIG_TXT,
  'issue.txt': 'Raspberry Pi reference 2024-11-19\nGenerated using pi-gen, https://github.com/RPi-Distro/pi-gen, 891df1e2, stage2\n'
}

// A FAT32 image labelled bootfs (as the card's boot partition is) holding `files`.
export function makeBootImage (t: ExecutionContext, files: Record<string, string>, sizeKb = 65536): string {
  const dir = tmpDir(t, 'roost-boot-')
  const image = path.join(dir, 'bootfs.img')
  execFileSync(MKFS_FAT, [...(sizeKb >= 65536 ? ['-F', '32'] : []), '-n', 'bootfs', '-C', image, String(sizeKb)], { stdio: 'ignore' })
  seedImage(image, files)
  return image
}

export function seedImage (image: string, files: Record<string, string>): void {
  const staging = fs.mkdtempSync(path.join(path.dirname(image), 'seed-'))
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(staging, name), text)
    execFileSync('mcopy', ['-o', '-i', image, path.join(staging, name), `::/${name}`], { env: MTOOLS_ENV })
  }
  fs.rmSync(staging, { recursive: true })
}

// A folder laid out like a mounted boot partition.
export function makeBootFolder (t: ExecutionContext, files: Record<string, string>): string {
  const dir = tmpDir(t, 'roost-bootfs-')
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text)
  return dir
}

export function readImageFile (image: string, name: string): string {
  return execFileSync('mtype', ['-i', image, `::/${name}`], { env: MTOOLS_ENV }).toString('utf8')
}

export function imageHas (image: string, name: string): boolean {
  return imageFiles(image).includes(name)
}

// Every file in the image, '/'-separated without the leading ::/.
export function imageFiles (image: string): string[] {
  return execFileSync('mdir', ['-/', '-b', '-i', image, '::/'], { env: MTOOLS_ENV }).toString('utf8')
    .split('\n').filter((line) => line !== '' && !line.endsWith('/')).map((line) => line.slice('::/'.length)).sort()
}

// The image's whole contents copied out into a folder, to search or compare.
export function extractImage (t: ExecutionContext, image: string): string {
  const dir = tmpDir(t, 'roost-extract-')
  const names = execFileSync('mdir', ['-b', '-i', image, '::/'], { env: MTOOLS_ENV }).toString('utf8').split('\n').filter((line) => line !== '')
  execFileSync('mcopy', ['-s', '-n', '-i', image, ...names, dir], { env: MTOOLS_ENV })
  return dir
}
