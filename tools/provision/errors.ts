// Errors of provisioning and of the install paths that read its folder (tools/provision/
// layout.ts). Messages name files, devices and numbers, never a
// secret: not an identity's key, not a Wi-Fi passphrase.
import { RoostError } from '../../node/errors.ts'

export class ProvisionError extends RoostError {
  constructor (code: string, message: string, hint?: string, cause?: unknown) {
    super('ProvisionError', code, message, hint, cause)
  }

  // The folder holds another fleet's keys: provisioning into it would mix two fleets.
  static FOREIGN_FLEET (dir: string, theirs: string, ours: string): ProvisionError {
    return new ProvisionError('FOREIGN_FLEET', `${dir} holds the keys of fleet "${theirs}", not "${ours}"`,
      'pass another --out folder, or --force to provision this fleet there anyway (devices of the same name keep their keys)')
  }

  static NOT_A_FLEET_FOLDER (dir: string): ProvisionError {
    return new ProvisionError('NOT_A_FLEET_FOLDER', `${dir} is not empty and holds no provisioned fleet (no fleet.json)`,
      'pass a new or empty --out folder, or --force to write into it anyway')
  }

  // --rotate NAME for a device the fleet file does not have.
  static NOT_IN_FLEET (name: string, names: readonly string[]): ProvisionError {
    return new ProvisionError('NOT_IN_FLEET', `no device named "${name}" in the fleet (devices: ${names.join(', ') || 'none'})`,
      'use a name from the fleet file')
  }

  static FILE_CORRUPT (file: string, reason: string): ProvisionError {
    return new ProvisionError('FILE_CORRUPT', `${file} cannot be read: ${reason}`,
      'run `roost provision` again: it rewrites what is damaged and keeps every identity')
  }

  // An agent device's id and key file (DIR/devices/NAME/agent-key.json) cannot be used.
  static AGENT_KEY_FILE (file: string, reason: string): ProvisionError {
    return new ProvisionError('AGENT_KEY_FILE', `${file} cannot be used: ${reason}`,
      'restore it from a backup, or give the device a new key with roost provision --rotate NAME (then install the router\'s config and its node\'s again)')
  }

  static UNKNOWN_DEVICE (name: string, file: string, names: readonly string[]): ProvisionError {
    return new ProvisionError('UNKNOWN_DEVICE',
      `no device named "${name}" in ${file} (devices: ${names.length === 0 ? 'none' : names.join(', ')})`,
      'pass --device with one of the listed names, or add the device to the fleet file and run `roost provision`')
  }

  // A Lua agent board: it has no node identity, config or artifact to install.
  static NO_NODE (name: string, boardId: string): ProvisionError {
    return new ProvisionError('NO_NODE', `device "${name}" is a ${boardId}, which runs the Lua agent, not a roost node`,
      'the Lua agent is installed on its own; the node that takes its readings is provisioned like any other')
  }

  static NOT_OPENWRT (name: string, boardId: string): ProvisionError {
    return new ProvisionError('NOT_OPENWRT', `device "${name}" is a ${boardId}, not an OpenWrt router: roost package makes OpenWrt packages only`,
      'install it with roost deploy, or with the artifact\'s install.sh')
  }

  static NOT_RASPBERRY_PI (name: string, boardId: string, osName: string): ProvisionError {
    return new ProvisionError('NOT_RASPBERRY_PI',
      `device "${name}" is a ${boardId} running ${osName}: roost flash writes Raspberry Pi OS boot partitions only`,
      'install it with the artifact\'s install.sh (or its package) instead')
  }

  static DEVICE_FILE_MISSING (name: string, file: string): ProvisionError {
    return new ProvisionError('DEVICE_FILE_MISSING', `device "${name}" has no ${file}`,
      'run `roost provision` again: it completes a device that was provisioned only in part')
  }

  static IDENTITY_MISMATCH (name: string, file: string): ProvisionError {
    return new ProvisionError('IDENTITY_MISMATCH',
      `the identity in ${file} is not the public key the inventory lists for device "${name}"`,
      'run `roost provision` again so that the inventory matches the identities on disk')
  }

  // Never a block or character device, with or without a flag: writing one by mistake
  // (the wrong /dev/sdX) destroys a disk, and the mounted folder does the same job.
  static BOOT_IS_DEVICE (bootPath: string, kind: string): ProvisionError {
    return new ProvisionError('BOOT_IS_DEVICE', `${bootPath} is a ${kind}: roost flash never writes to devices`,
      'mount the SD card\'s boot partition (the FAT one, labelled bootfs) and pass its folder, e.g. --boot /media/$USER/bootfs')
  }

  static BOOT_NOT_FOUND (bootPath: string): ProvisionError {
    return new ProvisionError('BOOT_NOT_FOUND', `${bootPath}: no such folder or file`,
      'pass the mounted boot partition\'s folder, or a FAT image file')
  }

  static BOOT_NOT_FAT (bootPath: string, reason: string): ProvisionError {
    return new ProvisionError('BOOT_NOT_FAT', `${bootPath} is not a FAT image: ${reason}`,
      'pass a FAT file system image (the boot partition\'s), a whole SD card image whose first partition is FAT, or the mounted boot partition\'s folder')
  }

  static IMAGE_IN_USE (file: string, loop: string): ProvisionError {
    return new ProvisionError('IMAGE_IN_USE', `${file} is attached to ${loop} (and may be mounted): writing it now could corrupt it`,
      `unmount it and detach the loop device (losetup -d ${loop}), or pass the mounted folder instead`)
  }

  static NOT_A_BOOT_PARTITION (bootPath: string, reason: string): ProvisionError {
    return new ProvisionError('NOT_A_BOOT_PARTITION', `${bootPath} is not a Raspberry Pi OS boot partition: ${reason}`,
      'pass the boot partition (the FAT one with cmdline.txt and config.txt) of a freshly written Raspberry Pi OS card or image')
  }

  static OS_UNKNOWN (bootPath: string, clues: string): ProvisionError {
    return new ProvisionError('OS_UNKNOWN', `cannot tell which Raspberry Pi OS release ${bootPath} holds: ${clues}`,
      'say it with --os trixie (cloud-init files on the boot partition) or --os bookworm (firstrun.sh)')
  }

  static OS_TOO_OLD (bootPath: string): ProvisionError {
    return new ProvisionError('OS_TOO_OLD',
      `${bootPath} holds Raspberry Pi OS Bullseye or older (its config.txt documents /boot/overlays), which mounts the boot partition at /boot`,
      'write a current Raspberry Pi OS (Trixie, or Bookworm) to the card, then run roost flash again')
  }

  static CMDLINE_MULTILINE (file: string, lines: number): ProvisionError {
    return new ProvisionError('CMDLINE_MULTILINE', `${file} has ${lines} lines; the firmware reads only the first`,
      'join its lines into one, then run roost flash again')
  }

  static CMDLINE_CONFLICT (file: string, token: string, wanted: string): ProvisionError {
    return new ProvisionError('CMDLINE_CONFLICT', `${file} already has ${token}, where roost flash needs ${wanted}`,
      'remove that entry from cmdline.txt if nothing else needs it, then run roost flash again')
  }

  static FIRSTRUN_FOREIGN (file: string): ProvisionError {
    return new ProvisionError('FIRSTRUN_FOREIGN',
      `${file} was not written by roost and has no "rm -f /boot/firstrun.sh" line to add roost's step before`,
      'start from a freshly written card, or move firstrun.sh away and run roost flash again')
  }

  static CLOUD_INIT_FILE (file: string, reason: string): ProvisionError {
    return new ProvisionError('CLOUD_INIT_FILE', `${file} cannot be extended: ${reason}`,
      'start from a freshly written card, or fix the file so that it is cloud-config YAML')
  }

  static NO_SPACE (bootPath: string, freeBytes: number, neededBytes: number): ProvisionError {
    return new ProvisionError('NO_SPACE',
      `${bootPath} has ${bytes(freeBytes)} free; this device's files need ${bytes(neededBytes)}`,
      'use the boot partition of a real Raspberry Pi OS card (512 MiB), or a larger image')
  }

  static WIFI_FILE (file: string, reason: string): ProvisionError {
    return new ProvisionError('WIFI_FILE', `Wi-Fi file ${file}: ${reason}`,
      'write three lines: ssid=NAME, psk=PASSPHRASE (8 to 63 characters) and country=XX (two letters, e.g. GB)')
  }

  static WIFI_PERMISSIONS (file: string, mode: number): ProvisionError {
    return new ProvisionError('WIFI_PERMISSIONS',
      `Wi-Fi file ${file} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(3, '0')})`,
      `run: chmod 600 ${file}`)
  }

  static NOT_SYSTEMD (name: string, boardId: string): ProvisionError {
    return new ProvisionError('NOT_SYSTEMD', `device "${name}" is a ${boardId}, which does not run systemd: roost deploy installs with install.sh on Debian and Raspberry Pi OS`,
      'for an OpenWrt router: roost package --device NAME, copy the .ipk over and run opkg install on it')
  }

  // A Lua agent router is reached as root over SSH, with opkg: not a Debian host.
  static NOT_OPENWRT_TARGET (target: string, name: string): ProvisionError {
    return new ProvisionError('NOT_OPENWRT_TARGET', `${target} has no opkg (or no /etc/config): device "${name}" runs the Lua agent, which installs on OpenWrt`,
      'pass --ssh root@ROUTER with the router of this device; nothing was copied')
  }

  static AGENT_NO_PREFIX (name: string): ProvisionError {
    return new ProvisionError('AGENT_NO_PREFIX', `device "${name}" is a Lua agent router: opkg installs it under /, --prefix is for Debian devices`,
      'leave --prefix out, or look at the steps with --dry-run')
  }

  static DRY_RUN_AGENTS_ONLY (name: string): ProvisionError {
    return new ProvisionError('DRY_RUN_AGENTS_ONLY', `--dry-run shows a Lua agent router's steps; device "${name}" runs the node`,
      'install it with --prefix DIR into a folder to see what install.sh changes, or without --dry-run')
  }

  // opkg, the agent's own check of its config or the init script refused: their words.
  static AGENT_INSTALL_FAILED (target: string, code: number, log: string): ProvisionError {
    return new ProvisionError('AGENT_INSTALL_FAILED', `installing the Lua agent on ${target} exited ${code}:\n${log}`,
      'fix what it names on the router (opkg needs the router\'s package feed for lua5.3 and luasocket5.3) and run roost deploy again')
  }

  static SSH_FAILED (target: string, reason: string): ProvisionError {
    return new ProvisionError('SSH_FAILED', `ssh ${target}: ${reason}`,
      'check that `ssh TARGET` logs in without a password prompt (a key in the agent, or --ssh-key) and knows the host key')
  }

  // install.sh refused (a missing prerequisite, another identity there): its own words.
  static INSTALL_FAILED (target: string, code: number, log: string): ProvisionError {
    return new ProvisionError('INSTALL_FAILED', `install.sh on ${target} exited ${code}:\n${log}`,
      'fix what it names on the device and run roost deploy again; nothing it refused was changed')
  }

  static SSH_TOOL_MISSING (tool: string, cause: unknown): ProvisionError {
    return new ProvisionError('TOOL_MISSING', `${tool} cannot be run here: ${(cause as Error).message}`,
      `install ${tool} (Debian: apt-get install ${tool === 'ssh' ? 'openssh-client' : tool})`, cause)
  }

  static TOOL_MISSING (tool: string): ProvisionError {
    return new ProvisionError('TOOL_MISSING', `${tool} is not installed (FAT images are written with mtools)`,
      'install mtools (Debian: apt-get install mtools), or mount the boot partition and pass its folder')
  }

  static TOOL_FAILED (command: string, reason: string): ProvisionError {
    return new ProvisionError('TOOL_FAILED', `${command} failed: ${reason}`)
  }
}

function bytes (n: number): string {
  const mib = n / 1024 / 1024
  return `${n.toLocaleString('en-US')} bytes (${mib.toFixed(1)} MiB)`
}
