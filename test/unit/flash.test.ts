// The pure parts of roost flash: cmdline.txt entries, the Wi-Fi file, and the cloud-init
// files it extends. The FAT images and the CLI are in test/e2e/flash.test.ts.
import test from 'ava'
import type { ExecutionContext } from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { RoostError } from '../../node/errors.ts'
import { networkConfig, NOCLOUD_CMDLINE, userData } from '../../tools/provision/flash/cloud-init.ts'
import { addCmdlineEntries } from '../../tools/provision/flash/cmdline.ts'
import { FIRSTRUN_CMDLINE, firstrunScript } from '../../tools/provision/flash/firstrun.ts'
import { readWifiFile } from '../../tools/provision/flash/wifi.ts'
import { tmpDir } from '../helpers/tmp.ts'

const LINE = 'console=tty1 root=PARTUUID=4e639091-02 rootwait'
const PASSPHRASE = 'correct horse battery staple'

function code (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof RoostError) return `${err.code}: ${err.message}`
    throw err
  }
  return 'no error'
}

test('cmdline: entries are appended once; a second pass adds nothing', (t) => {
  const once = addCmdlineEntries('cmdline.txt', Buffer.from(LINE + '\n'), FIRSTRUN_CMDLINE)
  t.is(once?.toString(), `${LINE} systemd.run=/boot/firmware/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target\n`)
  t.is(addCmdlineEntries('cmdline.txt', once ?? Buffer.alloc(0), FIRSTRUN_CMDLINE), null)
})

test('cmdline: a NoCloud seed elsewhere is a conflict, a second line is refused', (t) => {
  t.is(code(() => addCmdlineEntries('cmdline.txt', Buffer.from(`${LINE} ds=nocloud-net;s=http://10.0.0.2/\n`), NOCLOUD_CMDLINE)),
    'CMDLINE_CONFLICT: cmdline.txt already has ds=nocloud-net;s=http://10.0.0.2/, where roost flash needs ds=nocloud')
  t.is(code(() => addCmdlineEntries('cmdline.txt', Buffer.from(`${LINE}\nquiet\n`), NOCLOUD_CMDLINE)),
    'CMDLINE_MULTILINE: cmdline.txt has 2 lines; the firmware reads only the first')
})

function wifi (t: ExecutionContext, text: string): string {
  const file = path.join(tmpDir(t), 'wifi')
  fs.writeFileSync(file, text, { mode: 0o600 })
  return file
}

// IEEE 802.11i-2004, H.4.2's first test vector: passphrase "password", SSID "IEEE".
test('Wi-Fi file: the WPA key is derived from passphrase and SSID; the country is upper-cased', (t) => {
  const file = wifi(t, 'ssid=IEEE\npsk=password\ncountry=de\n')
  t.deepEqual(readWifiFile(file), { ssid: 'IEEE', pskHex: 'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e', country: 'DE' })
})

test('Wi-Fi file: problems name the line and the key, never the passphrase', (t) => {
  for (const [text, reason] of [
    ['ssid=Home\npsk=short\ncountry=GB\n', 'psk: a WPA passphrase is 8 to 63 printable ASCII characters, or 64 hex digits'],
    [`ssid=Home\n${PASSPHRASE}\ncountry=GB\n`, 'line 2: expected KEY=VALUE'],
    [`ssid=Home\npassword=${PASSPHRASE}\ncountry=GB\n`, 'line 2: unknown key (known: ssid, psk, country)'],
    [`ssid=Home\npsk=${PASSPHRASE}\n`, 'missing country']
  ]) {
    const file = wifi(t, text)
    const message = code(() => readWifiFile(file))
    t.is(message, `WIFI_FILE: Wi-Fi file ${file}: ${reason}`)
    t.false(message.includes(PASSPHRASE))
  }
})

test('user-data: a script is refused; a runcmd that is not a list is refused', (t) => {
  t.regex(code(() => userData(Buffer.from('#!/bin/sh\necho hi\n'), 'kitchen')), /^CLOUD_INIT_FILE: user-data cannot be extended: its first line is not #cloud-config/)
  t.is(code(() => userData(Buffer.from('#cloud-config\nruncmd: reboot\n'), 'kitchen')), 'CLOUD_INIT_FILE: user-data cannot be extended: runcmd is not a list')
})

test('user-data: an empty runcmd key takes roost\'s entry; with the entry there nothing changes', (t) => {
  const once = userData(Buffer.from('#cloud-config\nruncmd:\n'), 'kitchen')
  t.deepEqual(parseYaml(once?.toString() ?? ''), { runcmd: [['sh', '/boot/firmware/roost/first-boot.sh']] })
  t.is(userData(once, 'kitchen'), null)
})

test('network-config: a version 1 file is refused; a second network keeps the first', (t) => {
  const home = { ssid: 'Home', pskHex: 'a'.repeat(64), country: 'GB' }
  t.is(code(() => networkConfig(Buffer.from('network:\n  version: 1\n  config: []\n'), home)),
    'CLOUD_INIT_FILE: network-config cannot be extended: roost writes Wi-Fi as netplan version 2; this file has version 1')
  const first = networkConfig(null, home)
  const both = networkConfig(first, { ...home, ssid: 'Office' })
  const aps = (parseYaml(both?.toString() ?? '') as { network: { wifis: { wlan0: { 'access-points': object } } } }).network.wifis.wlan0['access-points']
  t.deepEqual(Object.keys(aps), ['Home', 'Office'])
  t.is(networkConfig(both, home), null)
})

test('firstrun.sh: a script with no clean-up line to go before is refused', (t) => {
  t.is(code(() => firstrunScript(Buffer.from('#!/bin/sh\necho custom\n'), 'kitchen', null)),
    'FIRSTRUN_FOREIGN: firstrun.sh was not written by roost and has no "rm -f /boot/firstrun.sh" line to add roost\'s step before')
})
