#!/usr/bin/env bash
# The README's test command: installs what the tests need (as root), then lint + typecheck + all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec node scripts/run-tests.mjs "$@"
