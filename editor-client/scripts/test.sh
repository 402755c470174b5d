#!/usr/bin/env bash
# Fast tests of the extension: type check, bundle, unit tests (vscode API stubbed; one case runs
# the real `infilld serve` with the fake backend) and protocol tests against `infilld serve`.
# Idempotent; installs npm dependencies only when package-lock.json changed.
#   INFILLD_BIN=/path/to/infilld   server to test against (default: <repo>/.venv/bin/infilld)
#   INFILLD_TEST_REAL_MODEL=0      skip the protocol case that loads the real model
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
echo "[test] type check" >&2
npx tsc -p . --noEmit
echo "[test] bundle" >&2
node scripts/build.mjs
echo "[test] compile tests" >&2
rm -rf out
npx tsc -p tsconfig.test.json
echo "[test] unit + protocol tests" >&2
node --require ./out/test/unit/setup.js --test --test-reporter=spec out/test/unit/*.test.js out/test/protocol/*.test.js
