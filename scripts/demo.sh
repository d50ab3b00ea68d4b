#!/usr/bin/env bash
# `peerboot demo` on a fresh Debian 12 machine, as root: installs what the lab needs (Debian packages,
# the lab kernel, npm ci, which also builds dist/), then builds a lab in network namespaces and shows
# a VM PXE-booting through a peerboot peer. Arguments go to `peerboot demo` (try --help, --firmware uefi).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "demo.sh: the demo builds network namespaces and a tap device: run it as root (sudo bash scripts/demo.sh)" >&2
  exit 1
fi
bash scripts/install-deps.sh
# A checkout edited since the last build gets a fresh dist/ (npm ci builds it on a fresh clone).
if [ ! -f dist/cli/commands/demo.js ] || [ -n "$(find src -name '*.ts' -newer dist/cli/main.js -print -quit)" ]; then
  npm run --silent build
fi
exec node bin/peerboot.js demo "$@"
