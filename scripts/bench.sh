#!/usr/bin/env bash
# npm run bench: every benchmark, one after the other, each on its own dev server. Numbers only.
#   npm run bench                 all of them
#   npm run bench -- history      only bench/history-*.ts (any name fragment)
#   npm run bench -- rollout --sizes 100/20 --gates short   arguments after the fragment go to it
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# bench/rollout.ts runs the compiled worker (dist/worker.js), as operators do.
node scripts/build.js > /dev/null
only="${1:-}"
[ $# -gt 0 ] && shift
for f in bench/*.ts; do
  [ -n "$only" ] && [[ "$f" != *"$only"* ]] && continue
  echo "== $f"
  node --import tsx --expose-gc "$f" "$@"
  echo
done
