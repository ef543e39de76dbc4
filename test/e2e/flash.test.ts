// roost flash onto Raspberry Pi OS boot partitions: FAT images made by mkfs.fat and read
// back with mtools (never mounted), and a folder laid out like a mounted partition. The
// provisioning folder is made by hand with tools/provision/layout.ts, so these tests do
// not depend on `roost provision`.
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { loadOrCreateIdentity } from '../../node/identity/identity.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { buildArtifact, defaultConfig } from '../../targets/artifact.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { artifactDir, deviceConfigFile, deviceDir, deviceIdentityFile, inventoryFile, type Inventory } from '../../tools/provision/layout.ts'
import { BOOKWORM, TRIXIE, extractImage, imageFiles, imageHas, makeBootFolder, makeBootImage, readImageFile } from '../helpers/boot-partition.ts'
import { roost, type CliResult } from '../helpers/cli.ts'
import { tmpDir } from '../helpers/tmp.ts'
import { serviceFile } from '../../targets/service.ts'

const PI = 'raspberry-pi-4b'
const PASSPHRASE = 'correct horse battery staple'
const SSID = 'Home net'

// One provisioning folder for the file: the artifact build is the slow part. It outlives
// any single test, so it is removed after all of them rather than by tmpDir(t).
const provisionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roost-provision-'))
test.after.always(() => fs.rmSync(provisionDir, { recursive: true, force: true }))
const provisioned = provision(provisionDir)

async function provision (dir: string): Promise<Inventory> {
  await buildArtifact({ board: loadBoard(PI), runtime: 'bare', outDir: artifactDir(dir, PI) })
  const devices = [['kitchen', PI], ['garage', PI], ['router', 'glinet-gl-mt6000']].map(([name, boardId]) => {
    const board = loadBoard(boardId)
    const { keyPair } = loadOrCreateIdentity(deviceDir(dir, name))
    fs.writeFileSync(deviceConfigFile(dir, name), JSON.stringify(defaultConfig(board), null, 2) + '\n')
    const unit = serviceFile(board, '/opt/roost/bin/bare')
    fs.writeFileSync(path.join(deviceDir(dir, name), unit.name), unit.text)
    return {
      name,
      board: board.id,
      host: board.host,
      program: board.program,
      publicKey: encodeKey(keyPair.publicKey),
      roles: board.defaultRoles,
      artifact: `artifacts/${board.id}`,
      device: `devices/${name}`
    }
  })
  const inventory: Inventory = { version: 1, fleet: 'test', operatorKey: devices[0].publicKey ?? '', devices }
  fs.writeFileSync(inventoryFile(dir), JSON.stringify(inventory, null, 2) + '\n')
  return inventory
}

async function flash (t: ExecutionContext, args: string[]): Promise<CliResult> {
  await provisioned
  return roost(['flash', '--out', provisionDir, ...args], { home: tmpDir(t) })
}

function wifiFile (t: ExecutionContext, mode = 0o600): string {
  const file = path.join(tmpDir(t), 'wifi')
  fs.writeFileSync(file, `# the house network\nssid=${SSID}\npsk=${PASSPHRASE}\ncountry=gb\n`, { mode })
  fs.chmodSync(file, mode)
  return file
}

function sha256 (file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
}

// `sh -n`: the script parses; it is not run (it installs a system service).
function assertShellSyntax (t: ExecutionContext, text: string): void {
  const file = path.join(tmpDir(t), 'script.sh')
  fs.writeFileSync(file, text)
  const result = spawnSync('sh', ['-n', file], { encoding: 'utf8' })
  t.is(result.status, 0, result.stderr)
}

function assertCloudConfig (t: ExecutionContext, text: string): Record<string, unknown> {
  t.true(text.startsWith('#cloud-config\n'), text.slice(0, 40))
  const parsed = parseYaml(text) as Record<string, unknown>
  t.is(typeof parsed, 'object')
  return parsed
}

function assertFailed (t: ExecutionContext, result: CliResult, code: string): string {
  t.is(result.code, 1, result.stdout + result.stderr)
  t.true(result.stderr.startsWith(`${code}: `), result.stderr)
  t.false(result.stderr.includes('    at '), result.stderr)
  return result.stderr.split('\n')[0]
}

function assertNoPassphrase (t: ExecutionContext, result: CliResult, image?: string): void {
  t.false(result.stdout.includes(PASSPHRASE), 'stdout shows the passphrase')
  t.false(result.stderr.includes(PASSPHRASE), 'stderr shows the passphrase')
  if (image === undefined) return
  const dir = extractImage(t, image)
  for (const rel of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(dir, rel)
    if (fs.statSync(file).isFile()) t.false(fs.readFileSync(file).includes(PASSPHRASE), `${rel} holds the passphrase`)
  }
}

test('Trixie image: roost/ holds the artifact, config and identity; user-data runs first-boot.sh; cmdline.txt gains ds=nocloud once', async (t) => {
  const image = makeBootImage(t, TRIXIE)
  const result = await flash(t, ['--device', 'kitchen', '--boot', image])
  t.is(result.code, 0, result.stderr)
  t.regex(result.stdout, /Raspberry Pi OS Trixie \(cloud-init's user-data, meta-data, network-config on the boot partition\)/)

  const artifact = artifactDir(provisionDir, PI)
  const artifactNames = fs.readdirSync(artifact, { recursive: true, encoding: 'utf8' })
    .filter((rel) => fs.statSync(path.join(artifact, rel)).isFile()).map((rel) => `roost/artifact/${rel}`)
  const onCard = imageFiles(image)
  for (const name of [...artifactNames, 'roost/config.json', 'roost/identity.json', 'roost/first-boot.sh', 'roost/README.txt']) {
    t.true(onCard.includes(name), `${name} is not on the card`)
  }
  t.is(readImageFile(image, 'roost/artifact/manifest.json'), fs.readFileSync(path.join(artifact, 'manifest.json'), 'utf8'))
  t.is(readImageFile(image, 'roost/identity.json'), fs.readFileSync(deviceIdentityFile(provisionDir, 'kitchen'), 'utf8'))
  t.is(readImageFile(image, 'roost/config.json'), fs.readFileSync(deviceConfigFile(provisionDir, 'kitchen'), 'utf8'))

  const userData = assertCloudConfig(t, readImageFile(image, 'user-data'))
  t.deepEqual(userData.runcmd, [['sh', '/boot/firmware/roost/first-boot.sh']])
  t.is(readImageFile(image, 'meta-data'), TRIXIE['meta-data'])
  t.is(readImageFile(image, 'network-config'), TRIXIE['network-config'], 'network-config changed without --wifi')
  t.is(readImageFile(image, 'cmdline.txt'), TRIXIE['cmdline.txt'].trimEnd() + ' ds=nocloud\n')
  t.false(imageHas(image, 'firstrun.sh'))
  assertShellSyntax(t, readImageFile(image, 'roost/first-boot.sh'))
})

test('Bookworm image: firstrun.sh runs first-boot.sh and cleans up; cmdline.txt gains systemd.run as Imager writes it', async (t) => {
  const image = makeBootImage(t, BOOKWORM)
  const result = await flash(t, ['--device', 'kitchen', '--boot', image])
  t.is(result.code, 0, result.stderr)
  t.regex(result.stdout, /Raspberry Pi OS Bookworm \(Bookworm's firstboot entry/)

  const cmdline = readImageFile(image, 'cmdline.txt')
  t.is(cmdline, BOOKWORM['cmdline.txt'].trimEnd() +
    ' systemd.run=/boot/firmware/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target\n')
  const firstrun = readImageFile(image, 'firstrun.sh')
  assertShellSyntax(t, firstrun)
  t.true(firstrun.includes('sh /boot/firmware/roost/first-boot.sh --no-start'), firstrun)
  t.true(firstrun.includes('rm -f /boot/firmware/firstrun.sh'), firstrun)
  for (const name of ['user-data', 'meta-data', 'network-config']) t.false(imageHas(image, name), `${name} written on Bookworm`)
  t.true(imageHas(image, 'roost/identity.json'))
  assertShellSyntax(t, readImageFile(image, 'roost/first-boot.sh'))
})

for (const [release, seed] of [['Trixie', TRIXIE], ['Bookworm', BOOKWORM]] as const) {
  test(`${release}: a second flash of the same device leaves the image byte for byte as it was`, async (t) => {
    const image = makeBootImage(t, seed)
    const wifi = wifiFile(t)
    t.is((await flash(t, ['--device', 'kitchen', '--boot', image, '--wifi', wifi])).code, 0)
    const first = sha256(image)
    const again = await flash(t, ['--device', 'kitchen', '--boot', image, '--wifi', wifi])
    t.is(again.code, 0, again.stderr)
    t.is(sha256(image), first)
    t.regex(again.stdout, /nothing to write/)
    t.is(readImageFile(image, 'cmdline.txt').split('\n').length, 2, 'cmdline.txt is not one line')
  })
}

test('Trixie with --wifi: network-config gets the access point with the derived key; the passphrase is nowhere', async (t) => {
  const image = makeBootImage(t, TRIXIE)
  const result = await flash(t, ['--device', 'kitchen', '--boot', image, '--wifi', wifiFile(t)])
  t.is(result.code, 0, result.stderr)
  t.true(result.stdout.includes(`Wi-Fi "${SSID}" (GB)`), result.stdout)
  const network = parseYaml(readImageFile(image, 'network-config')) as { network: Record<string, unknown> }
  const psk = crypto.pbkdf2Sync(PASSPHRASE, SSID, 4096, 32, 'sha1').toString('hex')
  t.deepEqual(network.network, {
    version: 2,
    wifis: { wlan0: { dhcp4: true, optional: true, 'regulatory-domain': 'GB', 'access-points': { [SSID]: { password: psk } } } }
  })
  assertNoPassphrase(t, result, image)
})

test('Bookworm with --wifi: firstrun.sh sets the network with imager_custom and the derived key; the passphrase is nowhere', async (t) => {
  const image = makeBootImage(t, BOOKWORM)
  const result = await flash(t, ['--device', 'kitchen', '--boot', image, '--wifi', wifiFile(t)])
  t.is(result.code, 0, result.stderr)
  const firstrun = readImageFile(image, 'firstrun.sh')
  const psk = crypto.pbkdf2Sync(PASSPHRASE, SSID, 4096, 32, 'sha1').toString('hex')
  t.true(firstrun.includes(`imager_custom set_wlan '${SSID}' '${psk}' 'GB'`), firstrun)
  assertShellSyntax(t, firstrun)
  assertNoPassphrase(t, result, image)
})

test('a Wi-Fi file that group or others can read is refused, and the card is left alone', async (t) => {
  const image = makeBootImage(t, TRIXIE)
  const before = sha256(image)
  const file = wifiFile(t, 0o644)
  const result = await flash(t, ['--device', 'kitchen', '--boot', image, '--wifi', file])
  t.is(assertFailed(t, result, 'WIFI_PERMISSIONS'), `WIFI_PERMISSIONS: Wi-Fi file ${file} is readable by group or others (mode 644)`)
  t.true(result.stderr.includes(`hint: run: chmod 600 ${file}`), result.stderr)
  assertNoPassphrase(t, result)
  t.is(sha256(image), before)
})

test('an image too small for the artifact is refused with the free and needed bytes, and nothing is written', async (t) => {
  // Half the artifact's size: the artifact alone (the Bare bundle and addons for the
  // Pi) does not fit, whatever the lean work makes of it.
  await provisioned
  const artifactBytes = fs.readdirSync(artifactDir(provisionDir, PI), { recursive: true, encoding: 'utf8' })
    .map((f) => fs.statSync(path.join(artifactDir(provisionDir, PI), f))).filter((s) => s.isFile()).reduce((sum, s) => sum + s.size, 0)
  const image = makeBootImage(t, TRIXIE, Math.floor(artifactBytes / 2048))
  const before = sha256(image)
  const line = assertFailed(t, await flash(t, ['--device', 'kitchen', '--boot', image]), 'NO_SPACE')
  const match = /has ([\d,]+) bytes \([\d.]+ MiB\) free; this device's files need ([\d,]+) bytes/.exec(line)
  t.truthy(match, line)
  const [free, needed] = [match?.[1], match?.[2]].map((n) => Number(n?.replace(/,/g, '')))
  t.true(free > 0 && free < artifactBytes / 2, line)
  t.true(needed > free && needed >= artifactBytes, line)
  t.is(sha256(image), before)
})

test('a device whose board is not a Raspberry Pi is refused with the reason', async (t) => {
  const image = makeBootImage(t, TRIXIE)
  const line = assertFailed(t, await flash(t, ['--device', 'router', '--boot', image]), 'NOT_RASPBERRY_PI')
  t.is(line, 'NOT_RASPBERRY_PI: device "router" is a glinet-gl-mt6000 running OpenWrt: roost flash writes Raspberry Pi OS boot partitions only')
})

test('an unknown device name is refused with the inventory\'s names', async (t) => {
  const image = makeBootImage(t, TRIXIE)
  const line = assertFailed(t, await flash(t, ['--device', 'attic', '--boot', image]), 'UNKNOWN_DEVICE')
  t.is(line, `UNKNOWN_DEVICE: no device named "attic" in ${inventoryFile(provisionDir)} (devices: kitchen, garage, router)`)
})

test('a block device is refused, also behind a symlink, without being opened', async (t) => {
  const device = fs.readdirSync('/dev').map((name) => `/dev/${name}`).find((file) => {
    try { return fs.statSync(file).isBlockDevice() } catch { return false }
  })
  if (device === undefined) return t.fail('this machine has no block device in /dev to try')
  const link = path.join(tmpDir(t), 'sdcard')
  fs.symlinkSync(device, link)
  for (const boot of [device, link]) {
    const line = assertFailed(t, await flash(t, ['--device', 'kitchen', '--boot', boot]), 'BOOT_IS_DEVICE')
    t.is(line, `BOOT_IS_DEVICE: ${boot} is a block device: roost flash never writes to devices`)
  }
})

test('a mounted boot partition (a folder): the same files are written, and a second flash rewrites none', async (t) => {
  const boot = makeBootFolder(t, TRIXIE)
  const result = await flash(t, ['--device', 'garage', '--boot', boot, '--wifi', wifiFile(t)])
  t.is(result.code, 0, result.stderr)
  t.true(result.stdout.includes('Unmount (eject) the card'), result.stdout)
  t.deepEqual(assertCloudConfig(t, fs.readFileSync(path.join(boot, 'user-data'), 'utf8')).runcmd, [['sh', '/boot/firmware/roost/first-boot.sh']])
  t.is(fs.readFileSync(path.join(boot, 'roost', 'identity.json'), 'utf8'), fs.readFileSync(deviceIdentityFile(provisionDir, 'garage'), 'utf8'))
  t.true(fs.readFileSync(path.join(boot, 'cmdline.txt'), 'utf8').endsWith(' rootwait resize ds=nocloud\n'))

  const snapshot = (): string[] => fs.readdirSync(boot, { recursive: true, encoding: 'utf8' }).sort().map((rel) => {
    const stat = fs.statSync(path.join(boot, rel))
    return stat.isFile() ? `${rel} ${stat.mtimeMs} ${sha256(path.join(boot, rel))}` : rel
  })
  const before = snapshot()
  const again = await flash(t, ['--device', 'garage', '--boot', boot, '--wifi', wifiFile(t)])
  t.is(again.code, 0, again.stderr)
  t.deepEqual(snapshot(), before)
})

test('Trixie customised by Imager: its users, keys and runcmd stay, roost\'s entry is added, and its ds=nocloud;i= is kept', async (t) => {
  const image = makeBootImage(t, {
    ...TRIXIE,
    'cmdline.txt': TRIXIE['cmdline.txt'].trimEnd() + ' ds=nocloud;i=rpi-imager-1760000000000\n',
    'meta-data': 'instance-id: rpi-imager-1760000000000\n',
    'user-data': '#cloud-config\nhostname: pi4\nmanage_etc_hosts: true\nenable_ssh: true\nusers:\n- name: ada\n  groups: users,adm,sudo\n  shell: /bin/bash\n  lock_passwd: true\n  ssh_authorized_keys:\n    - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx9kq0b7w2Y6m1hN3u8cX9rUq3Vb0pL4tEw5sJ7aZ1f ada@laptop\n  sudo: ALL=(ALL) NOPASSWD:ALL\n\nruncmd:\n  - [ rfkill, unblock, wifi ]\n'
  })
  const result = await flash(t, ['--device', 'kitchen', '--boot', image])
  t.is(result.code, 0, result.stderr)
  const userData = assertCloudConfig(t, readImageFile(image, 'user-data'))
  t.like(userData, { hostname: 'pi4', enable_ssh: true })
  t.deepEqual((userData.users as Array<{ ssh_authorized_keys: string[] }>)[0].ssh_authorized_keys,
    ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx9kq0b7w2Y6m1hN3u8cX9rUq3Vb0pL4tEw5sJ7aZ1f ada@laptop'])
  t.deepEqual(userData.runcmd, [['rfkill', 'unblock', 'wifi'], ['sh', '/boot/firmware/roost/first-boot.sh']])
  t.is(readImageFile(image, 'cmdline.txt'), TRIXIE['cmdline.txt'].trimEnd() + ' ds=nocloud;i=rpi-imager-1760000000000\n')
  t.is(readImageFile(image, 'meta-data'), 'instance-id: rpi-imager-1760000000000\n')
})

test('Bookworm customised by Imager: roost\'s step goes before its clean-up, and its systemd.run entry is kept', async (t) => {
  const cmdline = BOOKWORM['cmdline.txt'].trimEnd() + ' systemd.run=/boot/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target\n'
  const imagerScript = '#!/bin/sh\n\nset +e\n\nif [ -f /usr/lib/raspberrypi-sys-mods/imager_custom ]; then\n   /usr/lib/raspberrypi-sys-mods/imager_custom set_hostname pi4\nfi\nrm -f /boot/firstrun.sh\nsed -i \'s| systemd.run.*||g\' /boot/cmdline.txt\nexit 0\n'
  const image = makeBootImage(t, { ...BOOKWORM, 'cmdline.txt': cmdline, 'firstrun.sh': imagerScript })
  const result = await flash(t, ['--device', 'kitchen', '--boot', image])
  t.is(result.code, 0, result.stderr)
  const firstrun = readImageFile(image, 'firstrun.sh')
  assertShellSyntax(t, firstrun)
  const lines = firstrun.split('\n')
  const ours = lines.indexOf('sh /boot/firmware/roost/first-boot.sh --no-start || echo "roost: first boot failed, see /var/log/roost-first-boot.log" >&2')
  t.true(ours > lines.findIndex((line) => line.includes('set_hostname pi4')), firstrun)
  t.is(lines[ours + 2], 'rm -f /boot/firstrun.sh', firstrun)
  t.is(readImageFile(image, 'cmdline.txt'), cmdline)
})

test('a partition that cannot be told apart is refused with --os as the way out, which then works', async (t) => {
  const image = makeBootImage(t, { 'cmdline.txt': 'console=tty1 root=/dev/mmcblk0p2 rootwait\n', 'config.txt': 'arm_64bit=1\n' })
  const refused = await flash(t, ['--device', 'kitchen', '--boot', image])
  assertFailed(t, refused, 'OS_UNKNOWN')
  t.true(refused.stderr.includes('--os trixie'), refused.stderr)
  const result = await flash(t, ['--device', 'kitchen', '--boot', image, '--os', 'bookworm'])
  t.is(result.code, 0, result.stderr)
  t.regex(result.stdout, /Bookworm \(--os\)/)
  t.true(imageHas(image, 'firstrun.sh'))
})

test('a whole card image: the boot partition inside it is written', async (t) => {
  // An MBR with one FAT32 partition at 4 MiB, as Raspberry Pi OS images start theirs.
  const partition = makeBootImage(t, TRIXIE)
  const card = path.join(tmpDir(t), 'card.img')
  const mbr = Buffer.alloc(4 * 1024 * 1024)
  mbr.writeUInt8(0x0c, 446 + 4)
  mbr.writeUInt32LE(8192, 446 + 8)
  mbr.writeUInt32LE(fs.statSync(partition).size / 512, 446 + 12)
  mbr.writeUInt16LE(0xaa55, 510)
  fs.writeFileSync(card, Buffer.concat([mbr, fs.readFileSync(partition)]))
  const result = await flash(t, ['--device', 'kitchen', '--boot', card])
  t.is(result.code, 0, result.stderr)
  const inside = `${card}@@${4 * 1024 * 1024}`
  t.is(readImageFile(inside, 'cmdline.txt'), TRIXIE['cmdline.txt'].trimEnd() + ' ds=nocloud\n')
  t.true(imageHas(inside, 'roost/identity.json'))
  t.deepEqual(fs.readFileSync(card).subarray(0, 512), mbr.subarray(0, 512))
})

test('a file that is no FAT image is refused', async (t) => {
  const file = path.join(tmpDir(t), 'notes.txt')
  fs.writeFileSync(file, 'x'.repeat(4096))
  assertFailed(t, await flash(t, ['--device', 'kitchen', '--boot', file]), 'BOOT_NOT_FAT')
})

test('the /boot folder of a running Bookworm or Trixie system is refused, pointing at /boot/firmware', async (t) => {
  const moved = (file: string): string => `DO NOT EDIT THIS FILE\n\nThe file you are looking for has moved to /boot/firmware/${file}\n`
  const boot = makeBootFolder(t, { 'cmdline.txt': moved('cmdline.txt'), 'config.txt': moved('config.txt') })
  const line = assertFailed(t, await flash(t, ['--device', 'kitchen', '--boot', boot]), 'NOT_A_BOOT_PARTITION')
  t.is(line, `NOT_A_BOOT_PARTITION: ${boot} is not a Raspberry Pi OS boot partition: its cmdline.txt says the file has moved (pass /boot/firmware)`)
  t.deepEqual(fs.readdirSync(boot).sort(), ['cmdline.txt', 'config.txt'])
})
