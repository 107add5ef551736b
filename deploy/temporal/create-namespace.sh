#!/bin/sh
# The namespace and the search attributes the patch workflows set (scripts/search-attributes.sh),
# on a Temporal server with SQL visibility. Idempotent; waits until each is visible through the
# frontend (a new namespace takes a few seconds to reach the namespace cache).
#   TEMPORAL_ADDRESS (temporal:7233), TEMPORAL_CLI (temporal), NAMESPACE (default)
set -eu
cli="${TEMPORAL_CLI:-temporal}"
ns="${NAMESPACE:-default}"
addr="${TEMPORAL_ADDRESS:-temporal:7233}"

# until <what> <command...>: retry for up to 120 s
until_ok() {
  what="$1"
  shift
  i=0
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -gt 240 ] && { echo "create-namespace: $what: gave up after 120 s" >&2; exit 1; }
    sleep 0.5
  done
}

until_ok "server health" "$cli" operator cluster health --address "$addr"
"$cli" operator namespace describe --address "$addr" --namespace "$ns" >/dev/null 2>&1 ||
  "$cli" operator namespace create --address "$addr" --namespace "$ns" --retention 72h
until_ok "namespace $ns" "$cli" operator search-attribute list --address "$addr" --namespace "$ns"
has_attribute() { "$cli" operator search-attribute list --address "$addr" --namespace "$ns" | grep -qw "$1"; }
for a in DcosCluster DcosFromVersion DcosToVersion DcosPatchPhase; do
  has_attribute "$a" && continue
  until_ok "search attribute $a" "$cli" operator search-attribute create --address "$addr" --namespace "$ns" --name "$a" --type Keyword
done
for a in DcosCluster DcosFromVersion DcosToVersion DcosPatchPhase; do until_ok "search attribute $a visible" has_attribute "$a"; done
echo "create-namespace: $ns ready on $addr with the dcos-patch search attributes"
