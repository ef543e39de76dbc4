#!/usr/bin/env bash
# Makes sure the system tools the test suite runs for real are here: qemu for the
# arm64 artifact, systemd-analyze for unit files, Mosquitto, mtools and dosfstools for
# SD card images, OpenSSH for deploys, a C compiler and binutils for the ELF stripper's
# tests, strace for the test that lists what the node loads, and the arm64 Node.js
# sysroot, and iproute2, nftables and procps's sysctl for the NAT tests' simulated home
# networks (tools/harness/netlab.ts), with miniupnpd (NAT-PMP and UPnP IGD, nftables
# backend) for their routers. The build itself needs none of them.
# As root it installs what is missing with apt-get; otherwise it names the missing
# packages and the command that installs them, and fails. Nothing is skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sysroot=${ROOST_ARM64_SYSROOT:-$root/.cache/arm64-sysroot}

# tool → Debian package
declare -A needs=(
  [qemu-aarch64-static]=qemu-user-static
  [systemd-analyze]=systemd
  [mosquitto]=mosquitto [mosquitto_pub]=mosquitto-clients
  [mkfs.fat]=dosfstools [mcopy]=mtools
  [sshd]=openssh-server [ssh]=openssh-client
  [lua5.3]=lua5.3
  [cc]=gcc [readelf]=binutils [objcopy]=binutils [strip]=binutils
  [strace]=strace
  [ip]=iproute2 [nft]=nftables [sysctl]=procps
  [miniupnpd]=miniupnpd-nftables
)
# Debian puts the daemons and mkfs tools in /usr/sbin, which a user's PATH may lack.
# Under npm, PATH starts with node_modules/.bin, whose `nft` is a JavaScript file
# tracer: nftables' is looked for in the system's folders only.
have() {
  if [[ $1 == nft ]]; then [[ -x /usr/sbin/nft || -x /sbin/nft || -x /usr/bin/nft ]]; return; fi
  command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 || -x /sbin/$1 ]]
}
missing=()
for tool in "${!needs[@]}"; do
  have "$tool" || missing+=("${needs[$tool]}")
done
# luasocket for Lua 5.3, as the router agent uses it (OpenWrt's luasocket5.3).
if have lua5.3 && ! lua5.3 -e 'require "socket"' >/dev/null 2>&1; then missing+=(lua-socket); fi
have lua5.3 || missing+=(lua-socket)
# The stripper's test compiles a program that calls dlopen.
[[ -f /usr/include/dlfcn.h ]] || missing+=(libc6-dev)
# binutils provides three of the tools: name each package once.
if (( ${#missing[@]} > 0 )); then mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u); fi
need_sysroot=0
[[ -x $sysroot/usr/bin/node ]] || need_sysroot=1

if (( ${#missing[@]} == 0 && need_sysroot == 0 )); then exit 0; fi

if [[ $(id -u) -ne 0 ]]; then
  what=("${missing[@]}")
  steps=()
  if (( ${#missing[@]} > 0 )); then steps+=("sudo apt-get update && sudo apt-get install -y ${missing[*]}"); fi
  if (( need_sysroot )); then
    what+=("arm64 Node.js sysroot ($sysroot)")
    steps+=("sudo bash scripts/arm64-sysroot.sh $sysroot")
  fi
  echo "missing for the test suite: $(IFS=,; echo "${what[*]}" | sed 's/,/, /g')" >&2
  echo "install them as root: $(printf '%s && ' "${steps[@]}" | sed 's/ && $//')" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if (( ${#missing[@]} > 0 )); then
  echo "installing ${missing[*]} (apt-get)" >&2
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if (( need_sysroot )); then
  echo "building the arm64 Node.js sysroot in $sysroot" >&2
  bash "$root/scripts/arm64-sysroot.sh" "$sysroot" >&2
fi
for tool in "${!needs[@]}"; do
  have "$tool" || { echo "still missing after install: $tool" >&2; exit 1; }
done
lua5.3 -e 'require "socket"' >/dev/null 2>&1 || { echo "still missing after install: luasocket for lua5.3 (lua-socket)" >&2; exit 1; }
