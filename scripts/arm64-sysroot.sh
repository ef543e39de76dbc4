#!/usr/bin/env bash
# Unpacks Debian's arm64 Node.js and the libraries it needs into DIR, so the arm64
# artifact (targets/node flavour) can start on an x86-64 machine under qemu user-mode
# emulation. The npm registry has no arm64 Bare binary, so this is how the arm64
# bundle and its aarch64 addons are proven without the hardware.
#   qemu-aarch64-static -L DIR -E LD_LIBRARY_PATH=DIR/usr/lib/aarch64-linux-gnu DIR/usr/bin/node app.js
# Usage: scripts/arm64-sysroot.sh DIR   (root; idempotent)
set -euo pipefail
dir=${1:?usage: arm64-sysroot.sh DIR}
if [[ -x $dir/usr/bin/node ]]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then dpkg --add-architecture arm64; fi
apt-get update -qq
apt-get install -y -qq qemu-user-static libc6:arm64 libstdc++6:arm64 >/dev/null
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
( cd "$debs" && apt-get download -qq nodejs:arm64 libnode108:arm64 libbrotli1:arm64 libc-ares2:arm64 \
    libicu72:arm64 libnghttp2-14:arm64 libssl3:arm64 libuv1:arm64 zlib1g:arm64 libatomic1:arm64 \
    node-cjs-module-lexer node-undici node-acorn node-busboy )
mkdir -p "$dir.partial"
for f in "$debs"/*.deb; do dpkg -x "$f" "$dir.partial"; done
qemu-aarch64-static -L "$dir.partial" -E LD_LIBRARY_PATH="$dir.partial/usr/lib/aarch64-linux-gnu" "$dir.partial/usr/bin/node" \
  -e 'if (process.arch !== "arm64") process.exit(1)'
rm -rf "$dir" && mv "$dir.partial" "$dir"
echo "arm64 sysroot ready at $dir"
