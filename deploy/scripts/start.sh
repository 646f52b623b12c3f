#!/usr/bin/env bash
# The main command (README: `npm start`): the whole stack on embedded defaults.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SB_ROOT"

sb_install_deps
if [ -z "${TEMPORAL_ADDRESS:-}" ]; then sb_ensure_temporal; fi
exec "$SB_ROOT/node_modules/.bin/tsx" deploy/stack/main.ts "$@"
