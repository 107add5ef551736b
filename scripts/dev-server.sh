#!/usr/bin/env bash
# A local Temporal dev server with persistence, the Web UI, and our search attributes.
#   scripts/dev-server.sh start|stop|status
# TEMPORAL_PORT (7233), TEMPORAL_UI_PORT (8233) and DCOS_PATCH_STATE_DIR (.temporal in a checkout,
# ~/.local/state/dcos-patch/temporal when installed) adjust it. TEMPORAL_CLI_PATH: the Temporal CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/search-attributes.sh
port="${TEMPORAL_PORT:-7233}"
ui_port="${TEMPORAL_UI_PORT:-8233}"
# A checkout keeps the server's state in .temporal; an installed package in the user's state dir.
if [ -d src ]; then default_dir=.temporal; else default_dir="${XDG_STATE_HOME:-$HOME/.local/state}/dcos-patch/temporal"; fi
dir="${DCOS_PATCH_STATE_DIR:-$default_dir}"
pidfile="$dir/server.pid"
mkdir -p "$dir"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
healthy() { "$TEMPORAL_CLI_PATH" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1; }

case "${1:-status}" in
  start)
    if running; then echo "dev server already running (pid $(cat "$pidfile")) on 127.0.0.1:$port, UI http://127.0.0.1:$ui_port"; exit 0; fi
    nohup "$TEMPORAL_CLI_PATH" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" \
      --db-filename "$dir/dev.db" --namespace default --log-level warn "${SEARCH_ATTRIBUTE_ARGS[@]}" \
      --dynamic-config-value frontend.enableUpdateWorkflowExecution=true \
      --dynamic-config-value frontend.enableUpdateWorkflowExecutionAsyncAccepted=true \
      >"$dir/server.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 150); do healthy && break; running || break; sleep 0.2; done
    if ! healthy; then echo "dev server did not come up; see $dir/server.log" >&2; tail -20 "$dir/server.log" >&2; exit 1; fi
    # The CLI's Web UI links read this (src/cli/ui-url.ts): the UI of the server at this address.
    printf '{"address":"127.0.0.1:%s","uiUrl":"http://127.0.0.1:%s"}\n' "$port" "$ui_port" >"$dir/server.json"
    echo "dev server up (pid $(cat "$pidfile")): address 127.0.0.1:$port, Web UI http://127.0.0.1:$ui_port, history in $dir/dev.db"
    ;;
  stop)
    if running; then
      pid=$(cat "$pidfile"); kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      echo "dev server stopped"
    else
      echo "dev server not running"
    fi
    rm -f "$pidfile" "$dir/server.json"
    ;;
  status)
    if running && healthy; then echo "running (pid $(cat "$pidfile")) on 127.0.0.1:$port, UI http://127.0.0.1:$ui_port"; else echo "not running"; exit 3; fi
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
