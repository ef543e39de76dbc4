// INSTALL.md of an artifact: how this folder becomes a running node on its board, with
// install.sh (systemd boards) or the .ipk (OpenWrt), and by hand.
import type { Runtime } from './bundle.ts'
import { INSTALL_DIR, SERVICE_USER } from './device-paths.ts'
import { INSTALL_SCRIPT } from './install-script.ts'
import { INIT_FILE, UCI_FILE } from './procd.ts'
import type { SharedLibrary } from './shared-libs.ts'

export interface NotesBoard {
  id: string
  name: string
  host: string
  init: 'systemd' | 'procd'
  storagePath: string
}

export interface NotesInput {
  board: NotesBoard
  runtime: Runtime
  runtimeInfo: { included: boolean, install?: string }
  serviceName: string
  libraries: SharedLibrary[]
}

const fence = (...lines: string[]): string[] => ['```', ...lines, '```', '']

export function installNotes ({ board, runtime, runtimeInfo, serviceName, libraries }: NotesInput): string {
  const lines = [`# roost for ${board.name} (${board.id}, ${board.host}, ${runtime})`, '']
  if (!runtimeInfo.included) {
    lines.push('The runtime is not in this artifact. Install it on the device first:', '', ...fence(runtimeInfo.install ?? ''))
  }
  lines.push(...(board.init === 'systemd' ? systemdNotes(board, serviceName, libraries) : procdNotes(board, libraries)))
  lines.push(`Keys and data live in ${board.storagePath}; identity.json there is the node's secret key (mode 0600).`, '')
  return lines.join('\n')
}

function systemdNotes (board: NotesBoard, serviceName: string, libraries: SharedLibrary[]): string[] {
  const apt = libraries.map((lib) => lib.debian).join(' ')
  return [
    '## With install.sh', '',
    'Copy this folder to the device (scp -r, a USB stick) and run in it, as root:', '',
    ...fence(`sudo sh ${INSTALL_SCRIPT} [--config FILE] [--identity FILE] [--no-start]`),
    'It checks everything first and changes nothing while something is missing: the CPU,',
    'a 64-bit OS, glibc, the shared libraries, the runtime, free space, and this folder\'s',
    `files against manifest.json. Then it installs the folder in ${INSTALL_DIR}, creates the`,
    `system user ${SERVICE_USER}, puts the config (and a provisioned identity) in place, installs`,
    `the hardened unit and enables and starts ${serviceName}. A second run changes nothing.`,
    `\`sh ${INSTALL_SCRIPT} --help\` lists its options.`, '',
    '## By hand', '',
    ...fence(
      `apt-get install ${apt}`,
      `useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ${SERVICE_USER}`,
      `install -d -m 700 -o ${SERVICE_USER} -g ${SERVICE_USER} ${board.storagePath}`,
      `install -m 644 ${INSTALL_DIR}/${serviceName} /etc/systemd/system/${serviceName}`,
      `systemctl daemon-reload && systemctl enable --now ${serviceName}`,
      `journalctl -u ${serviceName} -f    # one JSON object per line`)
  ]
}

function procdNotes (board: NotesBoard, libraries: SharedLibrary[]): string[] {
  const opkg = libraries.map((lib) => lib.openwrt).join(' ')
  return [
    '## With the package', '',
    'roost packages this folder as an .ipk for opkg (targets/ipk.ts; per device, with its',
    `config and identity, through roost provision): \`opkg install\` it. Settings: ${UCI_FILE}.`, '',
    '## By hand', '',
    `Copy this folder to ${INSTALL_DIR} on the router, then:`, '',
    ...fence(
      `opkg update && opkg install ${opkg}`,
      `install -m 755 ${INSTALL_DIR}/roost.init ${INIT_FILE}`,
      `${INIT_FILE} enable && ${INIT_FILE} start`,
      'logread -e roost -f'),
    `List ${board.storagePath} in /etc/sysupgrade.conf so that a sysupgrade keeps the node's keys.`, '',
    'The linux-arm64 addons from npm are linked against glibc (GLIBC_2.34 symbols) and',
    'OpenWrt\'s C library is musl: until musl builds exist, the node is not expected to load',
    'on a stock OpenWrt router.', ''
  ]
}
