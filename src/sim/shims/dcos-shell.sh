#!/usr/bin/env bash
# dcos-shell (simulated): runs a command in the DC/OS environment. The ZooKeeper backup
# (`dcos-shell dcos-zk backup <file> -v`) and the IAM database backup (`dcos-shell iam-database-backup`,
# Enterprise) are answered by the simulator, which records them in its ground truth.
case "${1:-}" in
  dcos-zk) shift; exec "${SIM_ROOT}/sim-bin/.simcmd" dcos-zk "$@" ;;
  iam-database-backup|*/iam-database-backup) shift; exec "${SIM_ROOT}/sim-bin/.simcmd" iam-database-backup "$@" ;;
  "") exec bash ;;
  *) exec "$@" ;;
esac
