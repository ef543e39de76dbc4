// Service files that start the node on boot under the board's init system.
export interface ServiceBoard {
  id: string
  name: string
  init: 'systemd' | 'procd'
  storagePath: string
  memoryBudgetMb: number
}

export const INSTALL_DIR = '/opt/roost'

export function serviceFile (board: ServiceBoard, runtimeCommand: string): { name: string, text: string, mode: number } {
  const command = `${runtimeCommand} ${INSTALL_DIR}/roost-node.cjs --config ${INSTALL_DIR}/config.json`
  if (board.init === 'systemd') return { name: 'roost.service', text: systemdUnit(board, command), mode: 0o644 }
  return { name: 'roost.init', text: procdScript(board, command), mode: 0o755 }
}

function systemdUnit (board: ServiceBoard, command: string): string {
  return `[Unit]
Description=roost home peer (${board.name})
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${command}
Restart=on-failure
RestartSec=5
# The node exits within 2 s of SIGTERM after closing the DHT and its storage.
KillSignal=SIGTERM
TimeoutStopSec=10
# Budget from board-configs/${board.id}.yaml: the kernel stops a runaway node
# before it starves the rest of the board.
MemoryMax=${board.memoryBudgetMb}M
DynamicUser=yes
StateDirectory=roost
ReadWritePaths=${board.storagePath}
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`
}

function procdScript (board: ServiceBoard, command: string): string {
  return `#!/bin/sh /etc/rc.common
# roost home peer (${board.name}); install as /etc/init.d/roost, then
# /etc/init.d/roost enable && /etc/init.d/roost start
START=95
STOP=10
USE_PROCD=1

start_service() {
	mkdir -p ${board.storagePath}
	chmod 700 ${board.storagePath}
	procd_open_instance
	procd_set_param command ${command}
	procd_set_param respawn 3600 5 5
	procd_set_param stdout 1
	procd_set_param stderr 1
	procd_set_param term_timeout 10
	procd_close_instance
}
`
}
