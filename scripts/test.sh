#!/usr/bin/env bash
# Runs the whole suite: lint, typecheck, then every test file with Node's own runner against
# one real Temporal dev server started for this run (and stopped on exit, even on failure).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
[ -x "$TEMPORAL_CLI_PATH" ] || { echo "test: no Temporal CLI at $TEMPORAL_CLI_PATH (run: npm run setup)" >&2; exit 1; }

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  # The full run also lints and typechecks; a run of chosen files is for quick iteration.
  npx biome check .
  npx tsc -p .
  # The CLI subprocesses and the package test run the compiled code (bin/dcos-patch.js).
  node scripts/build.js
  mapfile -t files < <(find test -name '*.test.ts' | sort)
fi

state=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
source scripts/search-attributes.sh
"$TEMPORAL_CLI_PATH" server start-dev --ip 127.0.0.1 --port "$port" --headless --log-level error \
  --db-filename "$state/test.db" "${SEARCH_ATTRIBUTE_ARGS[@]}" \
  --dynamic-config-value frontend.enableUpdateWorkflowExecution=true \
  --dynamic-config-value frontend.enableUpdateWorkflowExecutionAsyncAccepted=true \
  >"$state/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$state"' EXIT
export TEMPORAL_TEST_ADDRESS="127.0.0.1:$port"
for _ in $(seq 1 100); do
  "$TEMPORAL_CLI_PATH" operator cluster health --address "$TEMPORAL_TEST_ADDRESS" >/dev/null 2>&1 && break
  sleep 0.2
done

# Two test files at a time (most of a file is waiting on the simulator and the server); every
# test is bounded (a test may ask for more with its own timeout option).
node --import tsx --test --test-concurrency="${DCOS_PATCH_TEST_CONCURRENCY:-2}" --test-timeout=600000 --test-reporter=spec "${files[@]}"
