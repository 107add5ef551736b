#!/usr/bin/env bash
# sudo (simulated): runs the command as "root" (SIM_EUID=0). With the host fact sudoNeedsPassword,
# it fails like the real sudo does without a terminal: `sudo -n` prints "sudo: a password is required".
# shellcheck disable=SC1091
. "${SIM_ROOT}/.sim/facts" 2>/dev/null
noninteractive=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    --non-interactive) noninteractive=1; shift ;;
    --user=*|--group=*|--preserve-env|--preserve-env=*|--login|--set-home|--stdin) shift ;;
    --user|--group|--prompt) shift 2 ;;
    -u|-g|-p|-C|-h|-U) shift 2 ;;
    -?*)
      flags="${1#-}"
      case "$flags" in *n*) noninteractive=1 ;; esac
      case "$flags" in *[ugpCU]) shift 2 ;; *) shift ;; esac
      ;;
    *) break ;;
  esac
done
if [ "${FACT_SUDO_NEEDS_PASSWORD:-false}" = true ]; then
  if [ "$noninteractive" = 1 ]; then
    echo "sudo: a password is required" >&2
  else
    echo "sudo: no tty present and no askpass program specified" >&2
  fi
  exit 1
fi
if [ "$#" -eq 0 ]; then
  echo "usage: sudo [-n] [-u user] command [args]" >&2
  exit 1
fi
export SIM_EUID=0 USER=root LOGNAME=root
exec "$@"
