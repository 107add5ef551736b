/**
 * The DC/OS cluster simulator: a cluster dcos-patch drives over the same protocols, commands and
 * formats as a real one (SSH via the ssh2 server, HTTP, bash). See docs in cluster.ts and types.ts.
 */
export { DEFAULT_TIMINGS, nextPatch, startCluster } from './cluster';
export { rewritePaths } from './exec';
export { parseFault } from './faults';
export type {
  CommandRecord,
  Fault,
  FaultKind,
  GroundTruth,
  HostFacts,
  HostRole,
  HostTruth,
  Interval,
  MarathonApp,
  NetworkOptions,
  OsName,
  PortName,
  ScriptPhase,
  ScriptRunRecord,
  SimCluster,
  SimHost,
  SimOptions,
  SimTimings,
} from './types';
