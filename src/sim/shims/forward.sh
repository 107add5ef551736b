#!/usr/bin/env bash
# @NAME@ (simulated by dcos-patch's simulator; answers from the live cluster state)
exec "${SIM_ROOT}/sim-bin/.simcmd" @NAME@ "$@"
