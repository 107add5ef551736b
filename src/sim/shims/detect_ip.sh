#!/usr/bin/env bash
# detect_ip: this host's address (the ip-detect script DC/OS was installed with).
# On a simulated host every host's address is in SIM_ADDR.
echo "${SIM_ADDR:?not a simulated host}"
