# Shared helpers for SyncBridge's shell entry points. Source it; do not run it.
# Everything a fresh machine lacks (pnpm, dependencies, the Temporal CLI) is
# installed here, so `npm start` and `npm test` work from a clean clone.

SB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SB_TOOLS="${SYNCBRIDGE_TOOLS_DIR:-$SB_ROOT/.tools}"
SB_PNPM_VERSION="$(node -p "require('$SB_ROOT/package.json').packageManager.split('@')[1]")"
SB_TEMPORAL_CLI_VERSION="${SYNCBRIDGE_TEMPORAL_CLI_VERSION:-v1.5.1}"
# The Temporal CLI build takes minutes; keep it in a per-user cache shared by clones.
SB_TEMPORAL_CACHE="${SYNCBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/syncbridge}/temporal-cli-$SB_TEMPORAL_CLI_VERSION"

sb_log() { printf '[syncbridge] %s\n' "$*" >&2; }

# pnpm: the pinned version from package.json. A pnpm on PATH of that version wins;
# otherwise it is installed from the npm registry into .tools (npm checks the
# tarball's integrity; corepack's key check breaks on older corepack releases).
sb_ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$SB_PNPM_VERSION" ]; then
    SB_PNPM="$(command -v pnpm)"
  elif [ -x "$SB_TOOLS/pnpm/node_modules/.bin/pnpm" ] && [ "$("$SB_TOOLS/pnpm/node_modules/.bin/pnpm" --version)" = "$SB_PNPM_VERSION" ]; then
    SB_PNPM="$SB_TOOLS/pnpm/node_modules/.bin/pnpm"
  else
    sb_log "installing pnpm $SB_PNPM_VERSION into $SB_TOOLS/pnpm"
    mkdir -p "$SB_TOOLS/pnpm"
    npm install --silent --no-audit --no-fund --prefix "$SB_TOOLS/pnpm" "pnpm@$SB_PNPM_VERSION" >&2
    SB_PNPM="$SB_TOOLS/pnpm/node_modules/.bin/pnpm"
  fi
  export SB_PNPM
}

sb_install_deps() {
  sb_ensure_pnpm
  local stamp="$SB_ROOT/node_modules/.syncbridge-install-stamp"
  if [ ! -f "$stamp" ] || [ "$SB_ROOT/pnpm-lock.yaml" -nt "$stamp" ] || [ -n "${CI:-}" ]; then
    sb_log "installing dependencies (pnpm install)"
    if [ -f "$SB_ROOT/pnpm-lock.yaml" ]; then
      (cd "$SB_ROOT" && "$SB_PNPM" install --frozen-lockfile --reporter=append-only >&2)
    else
      (cd "$SB_ROOT" && "$SB_PNPM" install --reporter=append-only >&2)
    fi
    touch "$stamp"
  fi
}

# The Temporal CLI (real server + Web UI in `temporal server start-dev`).
# Order: TEMPORAL_CLI_PATH, a `temporal` on PATH, the cached pinned build, a fresh build.
sb_ensure_temporal() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then
    :
  elif command -v temporal >/dev/null 2>&1; then
    TEMPORAL_CLI_PATH="$(command -v temporal)"
  elif [ -x "$SB_TEMPORAL_CACHE/temporal" ]; then
    TEMPORAL_CLI_PATH="$SB_TEMPORAL_CACHE/temporal"
  else
    if ! command -v go >/dev/null 2>&1; then
      sb_log "the Temporal CLI is missing and Go is not installed to build it."
      sb_log "install Go 1.25+ or put a 'temporal' binary on PATH (or set TEMPORAL_CLI_PATH)."
      return 1
    fi
    sb_log "building the Temporal CLI $SB_TEMPORAL_CLI_VERSION with Go (first run only, takes a few minutes)"
    mkdir -p "$SB_TEMPORAL_CACHE"
    GOBIN="$SB_TEMPORAL_CACHE" go install "github.com/temporalio/cli/cmd/temporal@$SB_TEMPORAL_CLI_VERSION" >&2
    TEMPORAL_CLI_PATH="$SB_TEMPORAL_CACHE/temporal"
  fi
  export TEMPORAL_CLI_PATH
  sb_log "temporal CLI: $TEMPORAL_CLI_PATH"
}

# The web UI's browser tests drive Debian's chromium (no browser download works offline).
# Order: CHROMIUM_PATH, a chromium on PATH, then `apt-get install chromium` (as root, or with sudo).
sb_ensure_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then
    :
  elif command -v chromium >/dev/null 2>&1; then
    CHROMIUM_PATH="$(command -v chromium)"
  else
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
        sb_log "chromium is missing and this user cannot install it: run 'apt-get install chromium' as root (or set CHROMIUM_PATH)."
        return 1
      fi
    fi
    sb_log "installing chromium from Debian's packages (browser tests of the web UI)"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends chromium >&2 || { $sudo apt-get update >&2 && $sudo apt-get install -y --no-install-recommends chromium >&2; }
    CHROMIUM_PATH="$(command -v chromium)"
  fi
  export CHROMIUM_PATH
  sb_log "chromium: $CHROMIUM_PATH"
}

# Tests use a real PostgreSQL server (default: the local one on 127.0.0.1:5432).
sb_check_test_postgres() {
  local url="${TEST_DATABASE_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  if ! node -e "const u=new URL(process.argv[1]);const s=require('net').connect(+u.port||5432,u.hostname);s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));" "$url"; then
    sb_log "PostgreSQL is not reachable at $url."
    sb_log "start it (or set TEST_DATABASE_ADMIN_URL to a server where the user may create databases)."
    return 1
  fi
}
