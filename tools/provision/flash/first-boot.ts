// What roost puts in the boot partition's roost/ folder besides the artifact: the
// first-boot script both releases run (cloud-init's runcmd on Trixie, firstrun.sh on
// Bookworm) and a README for whoever opens the card.
import { INSTALL_DIR } from '../../../targets/service.ts'

// Where Bookworm and Trixie mount the boot partition.
export const BOOT_MOUNT = '/boot/firmware'
export const ROOST_FOLDER = 'roost'
export const FIRST_BOOT_SCRIPT = `${ROOST_FOLDER}/first-boot.sh`
export const FIRST_BOOT_LOG = '/var/log/roost-first-boot.log'
// Root's home: only root can read what is there, unlike anything on the FAT partition.
const STAGED_IDENTITY = '/root/roost-identity.json'
const STAGED_LAN_KEYS = '/root/roost-lan-keys'

export interface FirstBootDevice {
  name: string
  boardId: string
  publicKey: string
  dataDir: string
  // The card holds lan-keys/ (the keys of the node's Lua agents, from roost provision).
  lanKeys?: boolean
}

// Runs as root. Safe to run again: with the identity gone from both places it does
// nothing, and after a failed install.sh the identity waits, root-only, for a rerun.
export function firstBootScript (device: FirstBootDevice): string {
  return `#!/bin/sh
# roost first boot for device ${device.name} (${device.boardId}), written by \`roost flash\`.
# Installs the node from ${BOOT_MOUNT}/${ROOST_FOLDER}/artifact and starts it; the node's
# public key is ${device.publicKey}.
# Output: ${FIRST_BOOT_LOG}. Rerun after a failure: sudo sh ${BOOT_MOUNT}/${FIRST_BOOT_SCRIPT}
# --no-start: install and enable the service without starting it (firstrun.sh reboots next).
set -u
umask 077
here=$(cd "$(dirname "$0")" && pwd)
staged=${STAGED_IDENTITY}
installed=${shellQuote(device.dataDir)}/identity.json
exec >>${FIRST_BOOT_LOG} 2>&1
echo "roost first boot: $(date)"

# FAT has no file modes: the identity (the node's secret key) leaves the boot partition
# before anything else runs.
if [ -f "$here/identity.json" ]; then
  install -m 600 "$here/identity.json" "$staged" || exit 1
  rm -f "$here/identity.json"
  sync
fi
${device.lanKeys === true ? lanKeysSteps() : ''}if [ ! -f "$staged" ]; then
  echo "roost: no identity to install (already installed?): nothing to do"
  exit 0
fi

start=
if [ "\${1:-}" = --no-start ]; then start=--no-start; fi
sh "$here/artifact/install.sh" --config "$here/config.json" --identity "$staged" --unit "$here/roost.service"${device.lanKeys === true ? ` --lan-keys ${STAGED_LAN_KEYS}` : ''} $start
status=$?
if [ "$status" -ne 0 ]; then
  echo "roost: install.sh failed ($status); the identity waits in $staged (mode 600) for a rerun"
  exit "$status"
fi
if [ ! -f "$installed" ]; then
  echo "roost: install.sh did not put the identity into $installed; it waits in $staged"
  exit 1
fi
chmod 600 "$installed"
rm -f "$staged"
${device.lanKeys === true ? `rm -rf ${STAGED_LAN_KEYS}
` : ''}# Enabled here too, so that the reboot after firstrun.sh starts it whatever --no-start leaves.
if [ -n "$start" ]; then systemctl enable roost.service; fi
echo "roost: installed in ${INSTALL_DIR}; node ${device.publicKey}"
`
}

// The agents' keys are secrets too: off the partition, into a root-only folder, first.
function lanKeysSteps (): string {
  return `if [ -d "$here/lan-keys" ]; then
  install -d -m 700 ${STAGED_LAN_KEYS} || exit 1
  for key in "$here"/lan-keys/*.key; do
    [ -f "$key" ] || continue
    install -m 600 "$key" ${STAGED_LAN_KEYS}/ || exit 1
  done
  rm -rf "$here/lan-keys"
  sync
fi
`
}

export function readme (device: FirstBootDevice, release: 'trixie' | 'bookworm', wifi: boolean): string {
  return `roost on this card: device ${device.name} (${device.boardId})
=================================================================

Written by \`roost flash\` for Raspberry Pi OS ${release === 'trixie' ? 'Trixie' : 'Bookworm'}. On the first boot,
${release === 'trixie' ? 'cloud-init (runcmd in user-data)' : 'firstrun.sh (systemd.run= in cmdline.txt)'} runs first-boot.sh, which
  1. moves identity.json off this partition into a root-only file (mode 600),
  2. runs artifact/install.sh with config.json and that identity: the node is
     installed in ${INSTALL_DIR}, its identity put into ${device.dataDir} (mode 600),
     and the roost service started,
  3. logs to ${FIRST_BOOT_LOG}.

identity.json is the node's SECRET key (public key ${device.publicKey}).${device.lanKeys === true ? `
lan-keys/ holds the SECRET keys of the node's Lua agents; first-boot.sh moves them into
${device.dataDir}/lan-keys (mode 600) with the identity.` : ''}
This partition is FAT, which has no file permissions: until the first boot removes
it, anyone holding the card can read it. Keep the card to yourself until then.
The provisioning folder keeps the original.
${wifi && release === 'trixie'
    ? `
network-config holds the Wi-Fi key (derived from the passphrase, as Raspberry Pi
Imager writes it) and stays after the first boot: remove the access point from it
once the Pi is online if others may read this card.
`
    : ''}
After the first boot this folder holds no secret and may be deleted.
`
}

export function shellQuote (value: string): string {
  return `'${value.replace(/'/g, '\'"\'"\'')}'`
}
