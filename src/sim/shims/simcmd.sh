#!/usr/bin/env bash
# dcos-patch simulator: forwards a host command to the simulator, which holds the live cluster
# state (units, Exhibitor, Mesos, CockroachDB). Usage: .simcmd <command> [args...]
# Reply: line 1 exit code, line 2 base64 stderr, then stdout.
name="$1"
shift
if [ -z "${SIM_CTL:-}" ] || [ -z "${SIM_HOST:-}" ]; then
  echo "$name: not running on a simulated host (SIM_CTL/SIM_HOST unset)" >&2
  exit 125
fi
{ if [ "$#" -gt 0 ]; then printf '%s\0' "$@"; fi; } |
  curl -sS --max-time 600 -X POST \
    -H "x-sim-cwd: $PWD" -H "x-sim-euid: ${SIM_EUID:-1000}" \
    --data-binary @- "$SIM_CTL/hosts/$SIM_HOST/cmd/$name" |
  {
    IFS= read -r code || { echo "$name: the simulator did not answer" >&2; exit 125; }
    IFS= read -r err
    cat
    if [ -n "$err" ]; then printf '%s' "$err" | base64 -d >&2; fi
    exit "${code:-125}"
  }
