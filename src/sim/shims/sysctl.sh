#!/usr/bin/env bash
# sysctl (simulated): the IPv6 switch comes from the host fact ipv6Disabled.
# shellcheck disable=SC1091
. "${SIM_ROOT}/.sim/facts" 2>/dev/null
valueonly=0
keys=()
for a in "$@"; do
  case "$a" in
    -n|--values) valueonly=1 ;;
    -e|-q|-b) ;;
    -*) ;;
    *) keys+=("$a") ;;
  esac
done
rc=0
for k in "${keys[@]}"; do
  case "$k" in
    net.ipv6.conf.all.disable_ipv6|net.ipv6.conf.default.disable_ipv6)
      v=0
      [ "${FACT_IPV6_DISABLED:-false}" = true ] && v=1
      ;;
    net.ipv4.ip_forward) v=1 ;;
    *)
      f="/proc/sys/$(printf '%s' "$k" | tr . /)"
      if [ -r "$f" ]; then v=$(cat "$f"); else echo "sysctl: cannot stat $f: No such file or directory" >&2; rc=255; continue; fi
      ;;
  esac
  if [ "$valueonly" = 1 ]; then echo "$v"; else echo "$k = $v"; fi
done
exit "$rc"
