#!/bin/sh
# Installs this roost artifact on Debian or Raspberry Pi OS, by hand or over SSH:
#   sudo sh install.sh [--config FILE] [--identity FILE] [--unit FILE] [--lan-keys DIR] [--no-start] [--prefix DIR]
# It checks every prerequisite first and changes nothing while one is missing; a second
# run with the same inputs changes nothing and says so.
# Exit codes: 0 installed (or nothing to change), 1 a missing prerequisite or a refusal,
# 2 a usage error.
#
# Test-only overrides, never needed on a device: ROOST_INSTALL_UNAME_M stands for
# `uname -m`, ROOST_INSTALL_DPKG_ARCH for `dpkg --print-architecture`,
# ROOST_INSTALL_LIB_PATH for the folders searched for shared libraries (space-separated),
# ROOST_INSTALL_GLIBC for the glibc version, ROOST_INSTALL_FREE_KB for the free KiB of
# every file system.
set -eu

# Filled in by the build (targets/install-script.ts).
VERSION=@VERSION@
BOARD=@BOARD@
HOST=@HOST@
MACHINE=@MACHINE@
DPKG_ARCH=@DPKG_ARCH@
LIB_DIRS=@LIB_DIRS@
# the oldest glibc with every symbol version the native code uses ('' if none)
GLIBC=@GLIBC@
# name:debian-package:needed-by, space-separated
LIBRARIES=@LIBRARIES@
ARTIFACT_KB=@ARTIFACT_KB@
INSTALL_DIR=@INSTALL_DIR@
SERVICE_USER=@SERVICE_USER@
UNIT=@UNIT@
# bare or node: the runtime the unit starts the node with
RUNTIME=@RUNTIME@
RUNTIME_INSTALL=@RUNTIME_INSTALL@
# Left free beyond the artifact on each file system it goes to: the node's default
# storage reserve (reserve_mb), so a fresh install does not start with a full disk.
MARGIN_KB=65536
UNIT_DIR=/etc/systemd/system

usage() {
	echo "install.sh: $1" >&2
	echo "usage: sh install.sh [--config FILE] [--identity FILE] [--unit FILE] [--lan-keys DIR] [--no-start] [--prefix DIR]" >&2
	exit 2
}

help() {
	cat <<EOF
usage: sh install.sh [--config FILE] [--identity FILE] [--unit FILE] [--lan-keys DIR] [--no-start] [--prefix DIR]
Installs roost $VERSION for $BOARD ($HOST) in $INSTALL_DIR as a systemd service.
  --config FILE    the device's config.json (default: the artifact's config.json)
  --identity FILE  a provisioned identity.json, put in the config's data folder (mode 0600)
  --unit FILE      the device's own roost.service from roost provision (its memory budget)
  --lan-keys DIR   the keys of the node's Lua agents (NAME.key, from roost provision): they
                   become the data folder's lan-keys/ (mode 0600), keys not in DIR removed
  --no-start       install and enable, but do not start or restart the node
  --prefix DIR     install into DIR as if it were /, without root: no system user,
                   no chown and no systemctl (for tests, images and staging)
EOF
}

prefix='' config='' identity='' unit_file='' lan_keys='' start=yes
while [ $# -gt 0 ]; do
	case $1 in
	--prefix | --config | --identity | --unit | --lan-keys)
		if [ $# -lt 2 ] || [ -z "$2" ]; then usage "$1 needs a value"; fi
		case $1 in
		--prefix) prefix=$2 ;;
		--config) config=$2 ;;
		--identity) identity=$2 ;;
		--unit) unit_file=$2 ;;
		--lan-keys) lan_keys=$2 ;;
		esac
		shift 2
		;;
	--no-start) start=no; shift ;;
	-h | --help) help; exit 0 ;;
	*) usage "unknown argument $1" ;;
	esac
done
if [ -n "$prefix" ]; then
	[ -d "$prefix" ] || usage "--prefix $prefix is not a folder"
	prefix=$(cd "$prefix" && pwd)
	[ "$prefix" != / ] || prefix=''
fi

artifact=$(cd "$(dirname "$0")" && pwd)
config=${config:-$artifact/config.json}
unit_file=${unit_file:-$artifact/$UNIT}
[ -f "$unit_file" ] || usage "--unit $unit_file is not a file"
umask 022
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

problems=''
problem() {
	problems="$problems  - $1
"
}

json_string() { # FIELD FILE: the first "FIELD": "value" of a JSON file, formatted or not
	sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" "$2" | head -n 1
}

is_elf() {
	[ "$(dd if="$1" bs=1 skip=1 count=3 2>/dev/null)" = ELF ]
}

existing_parent() {
	d=$1
	while [ ! -d "$d" ]; do d=$(dirname "$d"); done
	echo "$d"
}

mib() { echo $((($1 + 1023) / 1024)); }

version_at_least() { # HAVE WANT, both major.minor
	have_major=${1%%.*} have_minor=${1#*.} want_major=${2%%.*} want_minor=${2#*.}
	have_minor=${have_minor%%.*} want_minor=${want_minor%%.*}
	[ "$have_major" -gt "$want_major" ] || { [ "$have_major" -eq "$want_major" ] && [ "$have_minor" -ge "$want_minor" ]; }
}

# --- prerequisites: all of them are checked, then all problems are reported at once

root=no
[ "$(id -u)" = 0 ] && root=yes
if [ -z "$prefix" ] && [ "$root" = no ]; then
	problem "installing into / needs root: run it as root (sudo sh $0 ...), or pass --prefix DIR to install into a folder"
fi

machine=${ROOST_INSTALL_UNAME_M:-$(uname -m)}
if [ "$machine" != "$MACHINE" ]; then
	case $MACHINE:$machine in
	aarch64:armv6l | aarch64:armv7l | aarch64:armv8l)
		problem "this artifact is for 64-bit ARM ($MACHINE, $HOST); this system runs a 32-bit kernel ($machine): install the 64-bit (arm64) Raspberry Pi OS" ;;
	*)
		problem "this artifact is for $MACHINE ($HOST); this machine is $machine: build one for this machine's board (roost boards lists them; roost build --board ID)" ;;
	esac
else
	dpkg_arch=${ROOST_INSTALL_DPKG_ARCH:-$(dpkg --print-architecture 2>/dev/null || true)}
	if [ -n "$dpkg_arch" ] && [ "$dpkg_arch" != "$DPKG_ARCH" ]; then
		problem "the kernel is $machine but the system's packages are $dpkg_arch (a 32-bit OS on a 64-bit kernel): install the 64-bit ($DPKG_ARCH) OS"
	fi
fi

if [ -n "$GLIBC" ]; then
	glibc=${ROOST_INSTALL_GLIBC:-$(getconf GNU_LIBC_VERSION 2> /dev/null | sed -n 's/^glibc //p')}
	if [ -z "$glibc" ]; then
		problem "this system's C library is not glibc: the native addons need glibc $GLIBC or newer (Debian 12 or Raspberry Pi OS bookworm and later)"
	elif ! version_at_least "$glibc" "$GLIBC"; then
		problem "glibc $glibc is too old: the native addons need glibc $GLIBC or newer: upgrade to Debian 12 or Raspberry Pi OS bookworm (or later)"
	fi
fi

for library in $LIBRARIES; do
	name=${library%%:*}
	rest=${library#*:}
	package=${rest%%:*}
	needed_by=${rest#*:}
	found=no
	for dir in ${ROOST_INSTALL_LIB_PATH:-$LIB_DIRS}; do
		[ -e "$dir/$name" ] && found=yes && break
	done
	[ "$found" = yes ] || problem "missing $name (needed by $(echo "$needed_by" | sed 's/,/, /g')): apt-get install $package"
done

runtime_from='' # a bare binary on PATH, copied into $INSTALL_DIR/bin
if [ "$RUNTIME" = node ]; then
	[ -x /usr/bin/node ] || problem "Node.js is missing (/usr/bin/node): $RUNTIME_INSTALL"
elif [ ! -f "$artifact/bin/bare" ] && [ ! -x "$prefix$INSTALL_DIR/bin/bare" ]; then
	on_path=$(command -v bare || true)
	if [ -z "$on_path" ]; then
		problem "the Bare runtime is missing (not in this artifact, not in $INSTALL_DIR/bin/bare, no bare on PATH): $RUNTIME_INSTALL"
	elif is_elf "$(readlink -f "$on_path")"; then
		runtime_from=$(readlink -f "$on_path")
	else
		problem "bare on PATH ($on_path) is a launcher, not the Bare runtime binary: $RUNTIME_INSTALL"
	fi
fi

if [ ! -f "$artifact/manifest.json" ]; then
	problem "$artifact has no manifest.json: copy the whole artifact folder (roost build writes it)"
else
	# Not config.json: --config replaces it, and a run from $INSTALL_DIR finds that one.
	awk -F'"' '/"path":/ { p = $4 } /"sha256":/ && p != "config.json" { print $4 "  " p }' "$artifact/manifest.json" > "$work/sums"
	for damaged in $(cd "$artifact" && sha256sum -c "$work/sums" 2>/dev/null | sed -n 's/: FAILED.*$//p'); do
		problem "$damaged is missing or differs from manifest.json: copy the artifact folder again"
	done
fi

data_dir=''
if [ ! -r "$config" ]; then
	problem "cannot read the config $config"
else
	data_dir=$(json_string dataDir "$config")
	case $data_dir in
	'') problem "$config has no dataDir: pass a roost config.json (roost build or roost provision writes one)" ;;
	/ | *[!A-Za-z0-9._/-]* | [!/]*) problem "dataDir \"$data_dir\" in $config must be an absolute folder other than /, of letters, digits and ._-/" ; data_dir='' ;;
	esac
fi

if [ -n "$identity" ]; then
	if [ ! -r "$identity" ]; then
		problem "cannot read the identity $identity"
	elif ! grep -q '"secretKey"' "$identity" || [ -z "$(json_string publicKey "$identity")" ]; then
		problem "$identity is not a roost identity.json (no publicKey and secretKey)"
	elif [ -n "$data_dir" ] && [ -e "$prefix$data_dir/identity.json" ] && ! cmp -s "$identity" "$prefix$data_dir/identity.json"; then
		problem "refusing to replace $data_dir/identity.json: it is node $(json_string publicKey "$prefix$data_dir/identity.json"), not node $(json_string publicKey "$identity") from $identity. Neither install.sh nor the node ever replaces an identity; to give this device the new one, stop roost and move the old file away yourself (the data there belongs to the old key)"
	fi
fi

# The node reads lan-keys/NAME.key of its data folder for the agents its config names
# (key_file: lan-keys/NAME.key): never shown here, only their form checked.
if [ -n "$lan_keys" ]; then
	if [ ! -d "$lan_keys" ]; then
		problem "--lan-keys $lan_keys is not a folder"
	else
		for file in "$lan_keys"/*; do
			[ -e "$file" ] || continue
			name=${file##*/}
			case $name in
			*.key) ;;
			*) problem "$file: --lan-keys holds only the agents' NAME.key files (roost provision writes them)"; continue ;;
			esac
			if [ "$(wc -l < "$file" | tr -d ' ')" != 1 ] || ! grep -Eq '^[0-9a-f]{64}$' "$file"; then
				problem "$file is not an agent key (64 lower-case hex characters on one line)"
			fi
		done
	fi
fi

if [ -z "$prefix" ] && [ "$root" = yes ] && ! id -u "$SERVICE_USER" > /dev/null 2>&1; then
	command -v useradd > /dev/null || command -v adduser > /dev/null ||
		problem "cannot create the system user $SERVICE_USER: neither useradd nor adduser is here: apt-get install passwd"
fi

need_kb=$((ARTIFACT_KB + MARGIN_KB))
for place in "$INSTALL_DIR" ${data_dir:+"$data_dir"}; do
	dir=$(existing_parent "$prefix$place")
	free_kb=${ROOST_INSTALL_FREE_KB:-$(df -Pk "$dir" | awk 'NR == 2 { print $4 }')}
	if [ "$free_kb" -lt "$need_kb" ]; then
		problem "not enough free space for $place: $(mib "$free_kb") MiB free on the file system of $dir, $(mib "$need_kb") MiB needed (the artifact's $(mib "$ARTIFACT_KB") MiB and a $(mib "$MARGIN_KB") MiB margin): free some space there"
	fi
done

if [ -n "$problems" ]; then
	printf 'roost %s for %s cannot be installed here:\n%sNothing was changed.\n' "$VERSION" "$BOARD" "$problems" >&2
	exit 1
fi

# --- installation: each step changes only what differs from what is wanted

changes=''
changed() { changes="$changes${changes:+, }$1"; }
manage=no # a system user, chown and systemctl: only as root on the running system
[ -z "$prefix" ] && manage=yes

mode_of() { stat -c %a "$1"; }

# put SRC DEST MODE: DEST gets SRC's bytes and MODE, replaced by rename; put_changed
# says whether it had them already. (Called as a command, never in a condition, so
# that set -e still stops on a failed copy.)
put() {
	put_changed=no
	if [ -f "$2" ] && cmp -s "$1" "$2"; then
		[ "$(mode_of "$2")" != "$3" ] || return 0
		chmod "$3" "$2"
	else
		mkdir -p "$(dirname "$2")"
		cp "$1" "$2.roost-new"
		chmod "$3" "$2.roost-new"
		mv -f "$2.roost-new" "$2"
	fi
	put_changed=yes
}

if [ "$manage" = yes ] && ! id -u "$SERVICE_USER" > /dev/null 2>&1; then
	shell=/bin/false
	for s in /usr/sbin/nologin /sbin/nologin; do [ -x "$s" ] && shell=$s && break; done
	if command -v useradd > /dev/null; then
		useradd --system --user-group --no-create-home --home-dir /nonexistent --shell "$shell" "$SERVICE_USER"
	else
		adduser --system --group --no-create-home --home /nonexistent --shell "$shell" "$SERVICE_USER"
	fi
	changed "system user $SERVICE_USER"
fi

dest=$prefix$INSTALL_DIR
# Files an earlier version installed and this one no longer has.
if [ -f "$dest/manifest.json" ]; then
	awk -F'"' '/"path":/ { print $4 }' "$dest/manifest.json" | sort > "$work/old"
	awk -F'"' '/"path":/ { print $4 }' "$artifact/manifest.json" | sort > "$work/new"
	for stale in $(comm -23 "$work/old" "$work/new"); do
		rm -f "$dest/$stale"
		changed "removed $stale"
	done
fi
(cd "$artifact" && find . -type f ! -path ./config.json | sed 's|^\./||' | sort) > "$work/files"
copied=0
while IFS= read -r file; do
	put "$artifact/$file" "$dest/$file" "$(mode_of "$artifact/$file")"
	[ "$put_changed" = no ] || copied=$((copied + 1))
done < "$work/files"
[ "$copied" = 0 ] || changed "$copied files in $INSTALL_DIR"
if [ -n "$runtime_from" ]; then
	put "$runtime_from" "$dest/bin/bare" 755
	[ "$put_changed" = no ] || changed "bin/bare from $runtime_from"
fi
put "$config" "$dest/config.json" 644
[ "$put_changed" = no ] || changed "config.json"

data=$prefix$data_dir
if [ ! -d "$data" ]; then
	mkdir -p "$data"
	chmod 700 "$data"
	changed "data folder $data_dir"
elif [ "$(mode_of "$data")" != 700 ]; then
	chmod 700 "$data"
	changed "mode 700 on $data_dir"
fi
if [ "$manage" = yes ] && [ "$(stat -c %U "$data")" != "$SERVICE_USER" ]; then
	chown -R "$SERVICE_USER:$SERVICE_USER" "$data"
	changed "$data_dir owned by $SERVICE_USER"
fi

if [ -n "$identity" ]; then
	key=$data/identity.json
	if [ ! -e "$key" ]; then
		(umask 077 && cp "$identity" "$key.roost-new")
		chmod 600 "$key.roost-new"
		[ "$manage" = no ] || chown "$SERVICE_USER:$SERVICE_USER" "$key.roost-new"
		mv "$key.roost-new" "$key"
		changed "identity of node $(json_string publicKey "$key")"
	elif [ "$(mode_of "$key")" != 600 ]; then
		chmod 600 "$key"
		changed "mode 600 on $data_dir/identity.json"
	fi
fi

if [ -n "$lan_keys" ]; then
	keys=$data/lan-keys
	if [ ! -d "$keys" ]; then
		mkdir -p "$keys"
		changed "$data_dir/lan-keys"
	fi
	[ "$(mode_of "$keys")" = 700 ] || chmod 700 "$keys"
	[ "$manage" = no ] || chown "$SERVICE_USER:$SERVICE_USER" "$keys"
	agent_keys=0
	umask 077
	for file in "$lan_keys"/*.key; do
		[ -e "$file" ] || continue
		put "$file" "$keys/${file##*/}" 600
		[ "$put_changed" = no ] || agent_keys=$((agent_keys + 1))
		[ "$manage" = no ] || chown "$SERVICE_USER:$SERVICE_USER" "$keys/${file##*/}"
	done
	umask 022
	# An agent gone from the fleet: its key goes too.
	for file in "$keys"/*.key; do
		if [ -e "$file" ] && [ ! -e "$lan_keys/${file##*/}" ]; then
			rm -f "$file"
			agent_keys=$((agent_keys + 1))
		fi
	done
	[ "$agent_keys" = 0 ] || changed "$agent_keys agent keys in $data_dir/lan-keys"
fi

# The unit lets the node write only the data folder, so it names the config's.
sed "s|^ReadWritePaths=.*|ReadWritePaths=$data_dir|" "$unit_file" > "$work/$UNIT"
put "$work/$UNIT" "$prefix$UNIT_DIR/$UNIT" 644
unit_changed=$put_changed
[ "$unit_changed" = no ] || changed "$UNIT_DIR/$UNIT"

skipped=''
if [ "$manage" = no ]; then
	skipped="--prefix: skipped creating the system user $SERVICE_USER, chown of $data_dir to it, and systemctl (daemon-reload, enable, start); the unit names $INSTALL_DIR and $data_dir as on the device"
elif [ ! -d /run/systemd/system ]; then
	skipped="systemd is not running here (a container or chroot?): skipped systemctl; on the device: systemctl enable --now $UNIT"
else
	[ "$unit_changed" = no ] || systemctl daemon-reload
	if ! systemctl is-enabled --quiet "$UNIT"; then
		systemctl enable --quiet "$UNIT"
		changed "enabled $UNIT"
	fi
	if [ "$start" = no ]; then
		[ -z "$changes" ] || ! systemctl is-active --quiet "$UNIT" || skipped="--no-start: roost still runs the old files; systemctl restart $UNIT loads the new ones"
	elif ! systemctl is-active --quiet "$UNIT"; then
		systemctl start "$UNIT"
		changed "started $UNIT"
	elif [ -n "$changes" ]; then
		systemctl restart "$UNIT"
		changed "restarted $UNIT"
	fi
fi

if [ -z "$changes" ]; then
	echo "nothing to change: roost $VERSION for $BOARD is installed in $dest as given"
else
	echo "installed roost $VERSION for $BOARD in $dest: $changes"
fi
[ -z "$skipped" ] || echo "$skipped"
[ "$manage" = no ] || echo "logs: journalctl -u $UNIT -f (one JSON object per line)"
