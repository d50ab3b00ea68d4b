#!/usr/bin/env bash
# The boot transfer speed bench (peerboot against the TFTP/HTTP servers admins use today), one
# command from a clean clone, as root:
#   bash bench/run.sh            full run (about 15-20 minutes), rewrites the "Boot transfer speed"
#                                section of docs/benchmarks.md
#   bash bench/run.sh --quick    smoke test: small files, one round, no docs
# Exit status: 0 unless peerboot itself failed a download (anchors' failures are reported, not fatal).
# Other flags go to bench/run.ts (--servers a,b  --no-http  --no-tftp  --no-docs  --json FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/install.sh
exec node --import tsx bench/run.ts "$@"
