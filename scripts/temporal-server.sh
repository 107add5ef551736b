#!/usr/bin/env bash
# Builds the Temporal server and its SQL schema tool from the official Go module, pinned, into
# .tools/temporal-server/<version>/ with the schema files the server ships. Cached: a second run
# only checks. Prints the directory on its last line. Needs Go and the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
dest=".tools/temporal-server/$TEMPORAL_SERVER_VERSION"
if [ -x "$dest/bin/server" ] && [ -x "$dest/bin/sql" ] && [ -d "$dest/schema/postgresql" ]; then
  echo "$PWD/$dest"
  exit 0
fi
command -v go >/dev/null || { echo "temporal-server: needs Go (https://go.dev/dl) to build the server" >&2; exit 1; }
echo "temporal-server: building go.temporal.io/server $TEMPORAL_SERVER_VERSION (server + sql tool; minutes the first time)" >&2
started=$(date +%s)
mkdir -p "$dest/bin"
log="$dest/build.log"
GOBIN="$PWD/$dest/bin" go install \
  "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
  "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" >"$log" 2>&1 ||
  { tail -30 "$log" >&2; echo "temporal-server: the build failed (whole log: $log)" >&2; exit 1; }
rm -rf "$dest/schema"
cp -r "$(go env GOMODCACHE)/go.temporal.io/server@$TEMPORAL_SERVER_VERSION/schema" "$dest/schema"
chmod -R u+w "$dest/schema"
echo "temporal-server: built in $(($(date +%s) - started)) s" >&2
echo "$PWD/$dest"
