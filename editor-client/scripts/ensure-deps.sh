#!/usr/bin/env bash
# npm ci, only when package-lock.json changed since the last install (its hash is stamped into
# node_modules), so the test scripts can call this every time at no cost.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.infilld-lock-sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "[deps] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
