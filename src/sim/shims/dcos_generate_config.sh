#!/usr/bin/env bash
# DC/OS @VERSION@ installer (@VARIANT_NAME@), simulated by dcos-patch's simulator.
# Usage: bash @INSTALLER@ --generate-node-upgrade-script <installed_cluster_version>
# Reads genconf/ under the current directory and writes genconf/serve/upgrade/<id>/.
exec "${SIM_ROOT}/sim-bin/.simcmd" generate-config "$@"
