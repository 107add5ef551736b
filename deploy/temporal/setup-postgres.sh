#!/bin/sh
# The Temporal schema on PostgreSQL, with the official tool (temporal-sql-tool): the `temporal`
# and `temporal_visibility` databases created if missing, set up, and updated to the schema the
# server version ships. Idempotent. Used by docker-compose.yml (admin-tools image) and by
# scripts/test-cluster.sh (the tool built from the server's Go module).
#   SQL_TOOL   temporal-sql-tool            POSTGRES_SEEDS  host (postgresql)
#   DB_PORT    5432                          POSTGRES_USER / POSTGRES_PWD (temporal / temporal)
#   SCHEMA_DIR /etc/temporal/schema          (the server's schema/ directory)
set -eu
tool="${SQL_TOOL:-temporal-sql-tool}"
schema="${SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12"
host="${POSTGRES_SEEDS:-postgresql}"
port="${DB_PORT:-5432}"
user="${POSTGRES_USER:-temporal}"
export SQL_PASSWORD="${POSTGRES_PWD:-temporal}"

sql() { "$tool" --plugin postgres12 --ep "$host" -p "$port" -u "$user" "$@"; }

for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  sql --db "$db" create 2>/dev/null || echo "setup-postgres: database $db exists"
  sql --db "$db" setup-schema -v 0.0 2>/dev/null || echo "setup-postgres: $db already has a schema"
  sql --db "$db" update-schema -d "$schema/$dir/versioned"
done
echo "setup-postgres: schema ready on $host:$port"
