#!/usr/bin/env bash
# The one test command (README: `npm test`). Installs what a fresh machine lacks,
# then runs lint, the typecheck, unit tests and integration tests against real
# PostgreSQL and a real Temporal dev server.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SB_ROOT"

sb_install_deps
sb_ensure_temporal
sb_ensure_chromium
sb_check_test_postgres

sb_log "lint and formatting"
"$SB_PNPM" exec eslint . --max-warnings 0
"$SB_PNPM" exec prettier --check . || { sb_log "files are not formatted: run 'pnpm format'"; exit 1; }
sb_log "typecheck"
"$SB_PNPM" exec tsc --noEmit -p tsconfig.json
sb_log "tests (unit + integration)"
"$SB_PNPM" exec vitest run "$@"
