import path from 'node:path'
import { OS_RELEASES, type OsRelease } from '../../provision/flash/detect.ts'
import { BOOT_MOUNT, FIRST_BOOT_LOG, FIRST_BOOT_SCRIPT } from '../../provision/flash/first-boot.ts'
import { flash as flashDevice, type FlashResult } from '../../provision/flash/flash.ts'
import { DEFAULT_PROVISION_DIR } from '../../provision/layout.ts'
import { defineCommand, usageError } from '../args.ts'

// Where `roost provision` writes when given no --out.

export const flash = defineCommand({
  name: 'flash',
  summary: 'Write a device\'s node onto a Raspberry Pi OS boot partition; it installs on first boot.',
  details: 'PATH is the mounted boot partition (its folder) or a FAT image file, which is written with mtools and\n' +
    'never mounted. Devices (/dev/...) are refused. Trixie gets cloud-init files, Bookworm a firstrun.sh.\n' +
    'The Wi-Fi file has three lines: ssid=..., psk=..., country=XX; mode 600, as it holds the passphrase.',
  usage: 'roost flash --device NAME --boot PATH [--out DIR] [--wifi FILE] [--os trixie|bookworm]',
  flags: {
    device: { type: 'string', value: 'NAME', help: 'the device, by its name in the inventory' },
    boot: { type: 'string', value: 'PATH', help: 'mounted boot partition folder, or FAT image file' },
    out: { type: 'string', value: 'DIR', help: `provisioning folder, as roost provision wrote it (default: ${DEFAULT_PROVISION_DIR})` },
    wifi: { type: 'string', value: 'FILE', help: 'Wi-Fi network to join (ssid=, psk=, country= lines; mode 600)' },
    os: { type: 'string', value: 'trixie|bookworm', help: 'the Raspberry Pi OS release, when it cannot be told from the partition' }
  }
}, async (flags) => {
  if (!flags.device) throw usageError('flash', 'missing --device NAME (the names are in the provisioning folder\'s inventory.json)')
  if (!flags.boot) throw usageError('flash', 'missing --boot PATH (the mounted boot partition, or a FAT image file)')
  if (flags.os !== undefined && !(OS_RELEASES as readonly string[]).includes(flags.os)) {
    throw usageError('flash', `--os must be ${OS_RELEASES.join(' or ')}, got "${flags.os}"`)
  }
  const result = flashDevice({
    outDir: path.resolve(flags.out ?? DEFAULT_PROVISION_DIR),
    deviceName: flags.device,
    bootPath: flags.boot,
    wifiFile: flags.wifi,
    os: flags.os as OsRelease | undefined
  })
  process.stdout.write(summary(result))
  return 0
})

function summary (r: FlashResult): string {
  const wrote = new Set(r.written)
  const mark = (file: string): string => wrote.has(file) ? 'written' : 'already in place'
  const wifi = r.wifi === null ? '' : `Wi-Fi ${JSON.stringify(r.wifi.ssid)} (${r.wifi.country})`
  const hooks = r.release === 'trixie'
    ? [
        `  user-data        runcmd: sh ${BOOT_MOUNT}/${FIRST_BOOT_SCRIPT} (${mark('user-data')})`,
        ...(r.wifi === null ? [] : [`  network-config   ${wifi} (${mark('network-config')})`]),
        `  cmdline.txt      ds=nocloud (${mark('cmdline.txt')})`
      ]
    : [
        `  firstrun.sh      runs ${FIRST_BOOT_SCRIPT}${r.wifi === null ? '' : `, sets ${wifi}`} (${mark('firstrun.sh')})`,
        `  cmdline.txt      systemd.run=${BOOT_MOUNT}/firstrun.sh (${mark('cmdline.txt')})`
      ]
  const changes = r.written.length === 0 && r.removed.length === 0
    ? 'nothing to write: the partition already holds these files'
    : `wrote ${files(r.written.length)}, removed ${files(r.removed.length)}, ${r.unchanged} already in place`
  return [
    `flashed ${r.device.name} (${r.board.id}) onto ${r.boot.kind} ${r.boot.where}`,
    `  release          Raspberry Pi OS ${r.release === 'trixie' ? 'Trixie' : 'Bookworm'} (${r.detectedBy ?? '--os'})`,
    `  roost/artifact/  ${r.artifact.files} files, ${(r.artifact.bytes / 1024 / 1024).toFixed(1)} MiB`,
    '  roost/           config.json, identity.json (the secret key), first-boot.sh, README.txt',
    ...hooks,
    `  ${changes}`,
    r.release === 'trixie'
      ? 'first boot: cloud-init runs roost/first-boot.sh once the network is up.'
      : 'first boot: systemd runs firstrun.sh, which runs roost/first-boot.sh, then reboots.',
    'first-boot.sh moves identity.json off the card into a root-only file and runs the artifact\'s install.sh;',
    `the node starts as the roost service, key ${r.device.publicKey ?? ''}. Log: ${FIRST_BOOT_LOG}`,
    ...(r.boot.kind === 'folder' ? ['Unmount (eject) the card before taking it out.'] : []),
    ''
  ].join('\n')
}

function files (n: number): string {
  return n === 1 ? '1 file' : `${n} files`
}
