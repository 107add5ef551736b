#!/usr/bin/env bash
# ipset (simulated): present only while the host fact ipsetInstalled is true.
case "${1:-}" in
  --version|-V|version) echo "ipset v7.1, protocol version: 7" ;;
  list|-L|-l) ;;
  *) ;;
esac
exit 0
