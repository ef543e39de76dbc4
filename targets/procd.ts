// OpenWrt's side of the service: the procd init script (the artifact's roost.init and
// the package's /etc/init.d/roost) and the UCI settings it reads (/etc/config/roost).
import { INSTALL_DIR, RUNTIME_FLAGS } from './device-paths.ts'

export interface ProcdBoard {
  name: string
  storagePath: string
}

export const UCI_FILE = '/etc/config/roost'
export const INIT_FILE = '/etc/init.d/roost'
// Where a per-device package leaves the device's identity until the init script moves
// it into the data folder (targets/ipk.ts).
export const STAGED_IDENTITY = `${INSTALL_DIR}/identity.json`

export function procdScript (board: ProcdBoard, runtimeCommand: string): string {
  return `#!/bin/sh /etc/rc.common
# roost home peer (${board.name}). Settings: ${UCI_FILE} (UCI).
# By hand: install -m 755 ${INSTALL_DIR}/roost.init ${INIT_FILE}, then
# ${INIT_FILE} enable && ${INIT_FILE} start
START=95
STOP=10
USE_PROCD=1

# A provisioned identity waits in ${STAGED_IDENTITY} while the data folder has none.
# One that differs from the identity already there is never put in its place: the node
# would become another node.
place_identity() {
	local staged=${STAGED_IDENTITY} key="$1/identity.json"
	[ -f "$staged" ] || return 0
	if [ ! -e "$key" ]; then
		(umask 077 && cp "$staged" "$key.roost-new") && mv "$key.roost-new" "$key" && rm -f "$staged"
		return
	fi
	if cmp -s "$staged" "$key"; then
		rm -f "$staged"
		return 0
	fi
	echo "roost: not starting: $key is another node than the identity in $staged; move one of them away" >&2
	logger -t roost "not starting: $key is another node than the identity in $staged"
	return 1
}

start_service() {
	local enabled config data_dir
	config_load roost
	config_get_bool enabled main enabled 1
	[ "$enabled" = 1 ] || return 0
	config_get config main config ${INSTALL_DIR}/config.json
	config_get data_dir main data_dir ${board.storagePath}
	mkdir -p "$data_dir"
	chmod 700 "$data_dir"
	place_identity "$data_dir" || return 1
	procd_open_instance
	procd_set_param command ${runtimeCommand} ${RUNTIME_FLAGS.join(' ')} ${INSTALL_DIR}/roost-node.cjs --config "$config" --storage "$data_dir"
	# Respawned 5 s after every exit, without a crash-loop limit (retry 0): a home peer
	# that gives up is gone until someone reboots the router.
	procd_set_param respawn 3600 5 0
	# No core dumps (they would hold the secret key); rocksdb keeps its table files open.
	# No address-space limit: V8 reserves far more than it uses.
	procd_set_param limits core="0 0" nofile="16384 16384"
	procd_set_param stdout 1
	procd_set_param stderr 1
	# The node exits within 2 s of SIGTERM after closing the DHT and its storage.
	procd_set_param term_timeout 10
	procd_close_instance
}

service_triggers() {
	procd_add_reload_trigger roost
}
`
}

export function uciConfig (board: ProcdBoard): string {
  return `# roost home peer, read by ${INIT_FILE}; apply a change with ${INIT_FILE} restart.
# data_dir is where the node keeps its identity and data (it overrides the config's
# dataDir); sysupgrade keeps it when it is listed in /etc/sysupgrade.conf.
config roost 'main'
	option enabled '1'
	option config '${INSTALL_DIR}/config.json'
	option data_dir '${board.storagePath}'
`
}
