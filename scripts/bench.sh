#!/usr/bin/env bash
# npm run bench: every benchmark, one after the other, each on its own dev server. Numbers only.
#   npm run bench                 all of them
#   npm run bench -- history      only bench/history-*.ts (any name fragment)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
for f in bench/*.ts; do
  [ $# -gt 0 ] && [[ "$f" != *"$1"* ]] && continue
  echo "== $f"
  node --import tsx --expose-gc "$f"
  echo
done
