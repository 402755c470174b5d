#!/usr/bin/env bash
# End-to-end test in a real VS Code: code-server (VS Code's server and web UI) with the extension
# installed from the freshly built .vsix, driven in headless chromium by playwright-core.
# Slow (a minute or two once the cache is warm). Idempotent: installs what it needs once
# (scripts/e2e-setup.sh caches Node 24, code-server and chromium outside the repository).
#   INFILLD_BIN=/path/to/infilld  server to use (default: <repo>/.venv/bin/infilld)
#   E2E_PORT=8391                 code-server port
# Screenshots and logs: editor-client/test-artifacts/
set -euo pipefail
cd "$(dirname "$0")/.."
HERE="$(pwd)"
INFILLD_BIN="${INFILLD_BIN:-$(cd .. && pwd)/.venv/bin/infilld}"
PORT="${E2E_PORT:-8391}"
ARTIFACTS="$HERE/test-artifacts"

if [[ ! -x "$INFILLD_BIN" ]]; then
  echo "[e2e] no infilld at $INFILLD_BIN: run the repository setup or set INFILLD_BIN" >&2
  exit 2
fi

eval "$(bash scripts/e2e-setup.sh)"   # sets NODE24 and CODE_SERVER
bash scripts/ensure-deps.sh
echo "[e2e] packaging the extension" >&2
node scripts/package.mjs >/dev/null
rm -rf out && npx tsc -p tsconfig.test.json

rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"
RUN="$(mktemp -d /tmp/infilld-e2e.XXXXXX)"
PROJECT="$RUN/sample-project"
cp -r test/e2e/sample-project "$PROJECT"
mkdir -p "$RUN/user-data/User" "$RUN/extensions"
# Quick suggestions and word-based suggestions are off so that Tab can only mean "accept the
# inline suggestion" in this test; typescript.tsdk points the built-in TypeScript extension at
# our own typescript package, since code-server's npm package ships without one.
cat > "$RUN/user-data/User/settings.json" <<JSON
{
  "infilld.server.path": "$INFILLD_BIN",
  "infilld.model.backend": "fake",
  "infilld.logLevel": "debug",
  "editor.inlineSuggest.enabled": true,
  "editor.quickSuggestions": { "other": "off", "comments": "off", "strings": "off" },
  "editor.wordBasedSuggestions": "off",
  "editor.suggestOnTriggerCharacters": false,
  "typescript.tsdk": "$HERE/node_modules/typescript/lib",
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "files.autoSave": "off",
  "security.workspace.trust.enabled": false,
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden"
}
JSON

CS=("$NODE24" "$CODE_SERVER" --user-data-dir "$RUN/user-data" --extensions-dir "$RUN/extensions")
echo "[e2e] installing dist/infilld.vsix into code-server" >&2
"${CS[@]}" --install-extension "$HERE/dist/infilld.vsix" > "$ARTIFACTS/install.log" 2>&1

echo "[e2e] starting code-server on 127.0.0.1:$PORT" >&2
"${CS[@]}" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override "$PROJECT" > "$ARTIFACTS/code-server.log" 2>&1 &
CS_PID=$!
cleanup() {
  kill "$CS_PID" 2>/dev/null || true
  wait "$CS_PID" 2>/dev/null || true
  # The extension host's server logs, for a failed run.
  find "$RUN/user-data/logs" -name '*infilld*' -exec cp {} "$ARTIFACTS/" \; 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

echo "[e2e] running the browser test" >&2
E2E_URL="http://127.0.0.1:$PORT/?folder=$PROJECT" E2E_PROJECT="$PROJECT" E2E_ARTIFACTS="$ARTIFACTS" \
  node --test --test-reporter=spec out/test/e2e/vscode.e2e.js
