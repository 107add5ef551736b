#!/bin/sh
# The namespace and the search attributes the patch workflows set (scripts/search-attributes.sh),
# on a Temporal server with SQL visibility. Idempotent.
#   TEMPORAL_ADDRESS (temporal:7233), TEMPORAL_CLI (temporal), NAMESPACE (default)
set -eu
cli="${TEMPORAL_CLI:-temporal}"
ns="${NAMESPACE:-default}"
addr="${TEMPORAL_ADDRESS:-temporal:7233}"
i=0
until "$cli" operator cluster health --address "$addr" >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -gt 120 ] && { echo "create-namespace: $addr never became healthy" >&2; exit 1; }
  sleep 1
done
"$cli" operator namespace describe --address "$addr" --namespace "$ns" >/dev/null 2>&1 ||
  "$cli" operator namespace create --address "$addr" --namespace "$ns" --retention 72h
for a in DcosCluster DcosFromVersion DcosToVersion DcosPatchPhase; do
  "$cli" operator search-attribute create --address "$addr" --namespace "$ns" --name "$a" --type Keyword >/dev/null 2>&1 ||
    echo "create-namespace: search attribute $a exists"
done
echo "create-namespace: $ns ready on $addr"
