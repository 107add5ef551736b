#!/usr/bin/env bash
# The system tools the full test suite drives besides Node: OpenSSH client and curl (the simulator
# is checked with them), tmux (the watch view in a real terminal) and Chromium (the Web UI test).
# Installs what is missing from Debian packages when it can (root or passwordless sudo).
set -euo pipefail
declare -A package=([ssh]=openssh-client [curl]=curl [tmux]=tmux [chromium]=chromium)
missing=()
for tool in ssh curl tmux chromium; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo -n); else
  echo "system-deps: missing ${missing[*]}; install them (apt-get install -y ${missing[*]}): the tests that need them skip outside CI" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
