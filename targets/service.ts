// Service files that start the node on boot under the board's init system.
import { INSTALL_DIR, RUNTIME_FLAGS, SERVICE_USER } from './device-paths.ts'
import { procdScript } from './procd.ts'

export interface ServiceBoard {
  id: string
  name: string
  init: 'systemd' | 'procd'
  storagePath: string
  memoryBudgetMb: number
}

export { INSTALL_DIR, SERVICE_USER }

export function serviceFile (board: ServiceBoard, runtimeCommand: string): { name: string, text: string, mode: number } {
  const command = `${runtimeCommand} ${RUNTIME_FLAGS.join(' ')} ${INSTALL_DIR}/roost-node.cjs --config ${INSTALL_DIR}/config.json`
  if (board.init === 'systemd') return { name: 'roost.service', text: systemdUnit(board, command), mode: 0o644 }
  return { name: 'roost.init', text: procdScript(board, runtimeCommand), mode: 0o755 }
}

// Hardened for a node that listens on UDP, talks to a local MQTT broker over TCP and
// writes only its data folder: `systemd-analyze security` rates it 1.1 (8.3 with the
// first unit), and test/e2e/service-unit.test.ts keeps it there.
function systemdUnit (board: ServiceBoard, command: string): string {
  return `[Unit]
Description=roost home peer (${board.name})
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${command}
# A node that exits for any reason, a clean one included, is a home peer gone dark.
Restart=always
RestartSec=5
# The node exits within 2 s of SIGTERM after closing the DHT and its storage.
KillSignal=SIGTERM
TimeoutStopSec=10
# Budget from board-configs/${board.id}.yaml: the kernel stops a runaway node
# before it starves the rest of the board.
MemoryMax=${board.memoryBudgetMb}M
# A fixed user made by install.sh, not DynamicUser: the data folder may be anywhere
# (a USB disk, not only /var/lib), and a provisioned identity must be owned by the
# node's user before its first start.
User=${SERVICE_USER}
Group=${SERVICE_USER}
UMask=0077
# A core dump would hold the node's secret key.
LimitCORE=0
# rocksdb keeps every table file of the store open.
LimitNOFILE=16384
ProtectSystem=strict
ReadWritePaths=${board.storagePath}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
PrivateMounts=yes
PrivateUsers=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
# Not ProcSubset=pid: V8 sizes its heap from /proc/meminfo and rocksdb reads
# /proc/sys/kernel/random/uuid (strace of the x64 node).
ProtectProc=invisible
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
# UDP and TCP for the DHT and the broker, AF_UNIX for glibc's resolver (nscd, NSS),
# AF_NETLINK for udx's interface list (RTM_GETLINK, at start and on network changes).
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
SystemCallArchitectures=native
# Every call the node made under strace is in @system-service and none in the two
# denied sets; a call outside them fails with EPERM rather than killing the node.
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
# No MemoryDenyWriteExecute: V8's JIT writes the code it then runs.

[Install]
WantedBy=multi-user.target
`
}
