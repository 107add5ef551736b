#!/usr/bin/env bash
# `npm run test:cluster`: the docker-compose topology proven without Docker. The Temporal server
# built from its official Go module (scripts/temporal-server.sh, cached under .tools/), PostgreSQL
# from the Debian packages, the schema set up with the official tool (deploy/temporal/
# setup-postgres.sh), the namespace and search attributes (deploy/temporal/create-namespace.sh);
# then a patch of the simulator with two workers, one SIGKILLed mid-masters
# (test/cluster/two-workers.run.ts). Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
started=$(date +%s)

if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo -n); else
    echo "test:cluster: PostgreSQL is not installed (apt-get install -y postgresql)" >&2; exit 1
  fi
  echo "test:cluster: installing PostgreSQL from the Debian packages" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
pgbin="$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"

srv="$(bash scripts/temporal-server.sh | tail -1)"
built=$(date +%s)

state="$(mktemp -d)"
chmod 755 "$state"
# A free port below 32768: the server stores membership ports as SQL smallint.
free_port() {
  node -e '
    const net = require("net");
    const tryPort = () => {
      const port = 20000 + Math.floor(Math.random() * 12000);
      const s = net.createServer().once("error", tryPort).listen(port, "127.0.0.1", () => s.close(() => console.log(port)));
    };
    tryPort();'
}
pg_port=$(free_port)
# PostgreSQL refuses to run as root: as root, it runs as the postgres user the package created.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi
mkdir -p "$state/pg" "$state/pgsock"
[ ${#as_pg[@]} -gt 0 ] && chown postgres "$state/pg" "$state/pgsock"

server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$state/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT

"${as_pg[@]}" "$pgbin/initdb" -D "$state/pg" -U temporal --auth=trust -E UTF8 >"$state/initdb.log" 2>&1 ||
  { cat "$state/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$state/pg" -l "$state/pg/server.log" -w -t 60 \
  -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $state/pgsock" start >/dev/null
echo "test:cluster: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port" >&2

SQL_TOOL="$srv/bin/sql" SCHEMA_DIR="$srv/schema" POSTGRES_SEEDS=127.0.0.1 DB_PORT="$pg_port" \
  sh deploy/temporal/setup-postgres.sh >"$state/schema.log" 2>&1 || { cat "$state/schema.log" >&2; exit 1; }

declare -A ports
for p in FRONTEND FRONTEND_MEMBERSHIP FRONTEND_HTTP MATCHING MATCHING_MEMBERSHIP HISTORY HISTORY_MEMBERSHIP WORKER WORKER_MEMBERSHIP; do
  ports[$p]=$(free_port)
done
mkdir -p "$state/config"
render=(-e "s|@PG_PORT@|$pg_port|g" -e "s|@DYNAMIC_CONFIG@|$PWD/deploy/temporal/dynamicconfig.yaml|g")
for p in "${!ports[@]}"; do render+=(-e "s|@${p}_PORT@|${ports[$p]}|g"); done
sed "${render[@]}" deploy/temporal/postgres.yaml.tmpl >"$state/config/postgres.yaml"

"$srv/bin/server" --root "$state" --config config --env postgres start >"$state/server.log" 2>&1 &
server_pid=$!
address="127.0.0.1:${ports[FRONTEND]}"
for _ in $(seq 1 300); do
  "$TEMPORAL_CLI_PATH" operator cluster health --address "$address" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "test:cluster: the Temporal server exited" >&2; tail -20 "$state/server.log" >&2; exit 1; }
  sleep 0.3
done
TEMPORAL_CLI="$TEMPORAL_CLI_PATH" TEMPORAL_ADDRESS="$address" sh deploy/temporal/create-namespace.sh >"$state/namespace.log" 2>&1 ||
  { cat "$state/namespace.log" >&2; tail -40 "$state/server.log" >&2; exit 1; }
ready=$(date +%s)
echo "test:cluster: Temporal $("$srv/bin/server" --version 2>/dev/null | head -1) on PostgreSQL at $address (build/cache $((built - started)) s, up in $((ready - built)) s)" >&2

if [ -n "${TEST_CLUSTER_CMD:-}" ]; then
  # Debugging: run another command against this server instead of the test.
  TEMPORAL_TEST_ADDRESS="$address" TEMPORAL_ADDRESS="$address" bash -c "$TEST_CLUSTER_CMD"
  exit $?
fi
TEMPORAL_TEST_ADDRESS="$address" node --import tsx --test --test-reporter=spec --test-force-exit --test-timeout=420000 test/cluster/two-workers.run.ts ||
  { tail -40 "$state/server.log" >&2; exit 1; }
echo "test:cluster: passed in $(($(date +%s) - started)) s" >&2
