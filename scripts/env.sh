# Sourced by the scripts: where the Temporal CLI is, unless the caller says otherwise. In a
# checkout, the one `npm run setup` installs; from an installed package, `temporal` on PATH.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${TEMPORAL_CLI_PATH:-}" ]; then
  if [ -x "$_root/.tools/venv/bin/temporal" ] || [ -d "$_root/src" ]; then
    TEMPORAL_CLI_PATH="$_root/.tools/venv/bin/temporal"
  else
    TEMPORAL_CLI_PATH="$(command -v temporal || echo temporal)"
  fi
fi
export TEMPORAL_CLI_PATH
