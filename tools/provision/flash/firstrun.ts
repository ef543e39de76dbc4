// Bookworm's first-boot hook: firstrun.sh on the boot partition, run once by systemd
// through cmdline.txt, then removed by itself. Raspberry Pi Imager writes it this way
// (raspberrypi/rpi-imager src/downloadthread.cpp at 72ad1179, _customizeImage):
//   cmdline += " systemd.run=/boot/firstrun.sh systemd.run_success_action=reboot
//                systemd.unit=kernel-command-line.target"
// and Bookworm's initramfs rewrites that /boot/ to /boot/firmware/ before boot, cutting
// Imager's script at its `rm -f /boot/firstrun.sh` line and appending its own clean-up
// (RPi-Distro/raspberrypi-sys-mods, bookworm branch at 3af395f6,
// initramfs-tools/scripts/local-bottom/imager_fixup). roost writes the /boot/firmware/
// path that the hook would produce, so the hook leaves roost's script alone.
//
// A firstrun.sh written by Imager (user, SSH, Wi-Fi settings) is kept: roost's step goes
// in as one marked block before its `rm -f /boot/firstrun.sh`, where the hook keeps it.
import type { CmdlineEntry } from './cmdline.ts'
import { BOOT_MOUNT, FIRST_BOOT_SCRIPT, shellQuote } from './first-boot.ts'
import type { Wifi } from './wifi.ts'
import { ProvisionError } from '../errors.ts'

export const FIRSTRUN_FILE = 'firstrun.sh'

export const FIRSTRUN_CMDLINE: readonly CmdlineEntry[] = [
  { key: 'systemd.run', value: `${BOOT_MOUNT}/${FIRSTRUN_FILE}`, alsoAccepts: (value) => value === `/boot/${FIRSTRUN_FILE}` },
  { key: 'systemd.run_success_action', value: 'reboot' },
  { key: 'systemd.unit', value: 'kernel-command-line.target' }
]

const OWN_HEADER = '# firstrun.sh written by roost flash'
const BLOCK_START = '# >>> roost flash'
const BLOCK_END = '# <<< roost flash'
// Imager's last steps; the initramfs hook cuts the script at the first line like this.
const IMAGER_CLEANUP = /^\s*rm -f \/boot(\/firmware)?\/firstrun\.sh\s*$/

export function firstrunScript (existing: Buffer | null, deviceName: string, wifi: Wifi | null): Buffer {
  const block = roostBlock(deviceName, wifi)
  if (existing === null || existing.toString('utf8').includes(OWN_HEADER)) return Buffer.from(ownScript(block))
  const lines = existing.toString('utf8').split('\n')
  const start = lines.indexOf(BLOCK_START)
  const end = lines.indexOf(BLOCK_END)
  if (start >= 0 && end > start) {
    lines.splice(start, end - start + 1, ...block)
  } else {
    const cleanup = lines.findIndex((line) => IMAGER_CLEANUP.test(line))
    if (cleanup < 0) throw ProvisionError.FIRSTRUN_FOREIGN(FIRSTRUN_FILE)
    lines.splice(cleanup, 0, ...block)
  }
  return Buffer.from(lines.join('\n'))
}

function ownScript (block: string[]): string {
  return [
    '#!/bin/sh',
    OWN_HEADER,
    '# Run once by systemd (systemd.run= in cmdline.txt), which reboots when it succeeds.',
    'set +e',
    '',
    ...block,
    '',
    // The clean-up Imager's script ends with, for the /boot/firmware mount and only the
    // three entries roost added.
    `rm -f ${BOOT_MOUNT}/${FIRSTRUN_FILE}`,
    `sed -i 's| systemd\\.run=[^ ]*||g; s| systemd\\.run_success_action=[^ ]*||g; s| systemd\\.unit=kernel-command-line\\.target||g' ${BOOT_MOUNT}/cmdline.txt`,
    'exit 0',
    ''
  ].join('\n')
}

function roostBlock (deviceName: string, wifi: Wifi | null): string[] {
  return [
    BLOCK_START,
    `# device ${deviceName}: install the roost node; delete this block to skip it`,
    ...(wifi === null ? [] : wifiLines(wifi)),
    // Started by the reboot that follows, when the network is up.
    `sh ${BOOT_MOUNT}/${FIRST_BOOT_SCRIPT} --no-start || echo "roost: first boot failed, see /var/log/roost-first-boot.log" >&2`,
    BLOCK_END
  ]
}

// As Imager sets Wi-Fi on Bookworm: imager_custom (raspberrypi-sys-mods) writes a
// NetworkManager connection with this PSK and sets the country.
function wifiLines (wifi: Wifi): string[] {
  return [
    'if [ -f /usr/lib/raspberrypi-sys-mods/imager_custom ]; then',
    `  /usr/lib/raspberrypi-sys-mods/imager_custom set_wlan ${shellQuote(wifi.ssid)} ${shellQuote(wifi.pskHex)} ${shellQuote(wifi.country)}`,
    'else',
    '  echo "roost: no imager_custom on this system: Wi-Fi not set" >&2',
    'fi'
  ]
}
