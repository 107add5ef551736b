# Sourced by the scripts: where the Temporal CLI is, unless the caller says otherwise.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TEMPORAL_CLI_PATH="${TEMPORAL_CLI_PATH:-$_root/.tools/venv/bin/temporal}"
