// The Lua agent's side of OpenWrt: its procd init script (/etc/init.d/roost-agent) and the
// UCI file it and the agent read (/etc/config/roost-agent, which holds the device key).
export interface AgentBoard {
  id: string
  name: string
  host: string
  // Where the board keeps roost's files on flash (/etc/roost): the queue goes in it.
  storagePath: string
  openwrtArch: string
}

// The artifact's files (artifact.ts); named here, where nothing heavy is imported, for the
// provisioning folder's layout and the install paths that read it.
export const AGENT_LUA_FILE = 'roost-agent.lua'
export const AGENT_INIT_FILE = 'roost-agent.init'
export const AGENT_UCI_FILE = 'roost-agent.uci'

export const AGENT_BIN = '/usr/bin/roost-agent'
export const AGENT_INIT = '/etc/init.d/roost-agent'
export const AGENT_UCI = '/etc/config/roost-agent'

export function agentQueueDir (board: Pick<AgentBoard, 'storagePath'>): string {
  return `${board.storagePath}/queue`
}

export function agentInitScript (board: AgentBoard): string {
  return `#!/bin/sh /etc/rc.common
# roost Lua agent (${board.name}): sends the router's readings to a roost node on the LAN.
# Settings: ${AGENT_UCI} (UCI, mode 0600: it holds the device key).
START=95
STOP=10
USE_PROCD=1

start_service() {
	local enabled
	config_load roost-agent
	config_get_bool enabled main enabled 1
	[ "$enabled" = 1 ] || return 0
	procd_open_instance
	# ${AGENT_BIN} is the Lua file itself (#!/usr/bin/lua5.3), so the log says roost-agent.
	procd_set_param command ${AGENT_BIN} ${AGENT_UCI}
	# Respawned 5 s after every exit, without a crash-loop limit (retry 0): the readings wait
	# in the queue on flash, and an agent that gave up would send none until a reboot.
	procd_set_param respawn 3600 5 0
	# No core dumps: they would hold the device key.
	procd_set_param limits core="0 0"
	# A changed config restarts the agent on reload.
	procd_set_param file ${AGENT_UCI}
	procd_set_param stdout 1
	procd_set_param stderr 1
	procd_close_instance
}

service_triggers() {
	procd_add_reload_trigger roost-agent
}
`
}

// The package's template: off until node, id and key are filled in, so that opkg install
// starts nothing that can only fail.
export function agentUciTemplate (board: AgentBoard): string {
  return `# roost Lua agent, read by ${AGENT_INIT}. Keep this file mode 0600: it holds the device key.
# On the node's machine, \`roost agent add NAME\` prints node, id and key for this router:
# put them below, set enabled to 1, then run: ${AGENT_INIT} restart
# Check a config with: ${AGENT_BIN} --check FILE (it names every problem by line).
config agent 'main'
	option enabled '0'
	option node ''
	option id ''
	option key ''
	# On flash, kept by sysupgrade (the package lists it in /etc/sysupgrade.conf): it holds
	# the readings not yet acknowledged and the next sequence number.
	option queue '${agentQueueDir(board)}'
	option queue_max_kb '256'
	# Seconds between readings of the files and commands; seconds between stats lines.
	option interval '30'
	option stats_interval '300'
	# The router's own MQTT broker (QoS 1 readings are acknowledged once on flash):
	#option broker 'mqtt://127.0.0.1:1883'
	#list subscribe 'home/#'
	# TOPIC=FILE, read each interval; TOPIC=COMMAND, run each interval (trimmed output).
	#list file 'router/cpu-temp=/sys/class/thermal/thermal_zone0/temp'
	list command 'router/load=cut -d" " -f1 /proc/loadavg'
	list command 'router/mem-available-kb=awk "/MemAvailable/ { print \\$2 }" /proc/meminfo'
	#list command 'router/wifi-clients=iw dev phy0-ap0 station dump | grep -c Station'
`
}
