/**
 * The simulator's ground truth as one JSON-able snapshot: the model's hosts as they are now plus
 * what the truth recorder saw happen. Kept apart from truth.ts, which the model itself uses.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readInstalledVersion } from './host-fs';
import type { MarathonApps } from './marathon-apps';
import type { ClusterModel } from './model';
import { maxOverlap } from './truth';
import type { GroundTruth } from './types';

const LIBLTDL = 'opt/mesosphere/lib/libltdl.so.7';

/**
 * The JSON-able ground truth now. `hasRoot(id)`: whether the host's root exists yet (lazy roots):
 * until then its files are the ones it was installed with.
 */
export function snapshotTruth(
  model: ClusterModel,
  marathon: MarathonApps,
  hasRoot: (id: string) => boolean
): GroundTruth {
  const now = Date.now();
  const hosts: GroundTruth['hosts'] = {};
  for (const h of model.hosts.values()) {
    const id = h.spec.id;
    const isNode = h.role !== 'bootstrap';
    const isAgent = h.role === 'agent' || h.role === 'public-agent';
    const onDisk = hasRoot(id);
    hosts[id] = {
      id,
      role: h.role,
      address: h.spec.address,
      version: isNode ? ((onDisk ? readInstalledVersion(h.spec.root) : undefined) ?? h.version) : '',
      mesosVersion: isNode ? model.mesosVersionOf(h) : '',
      ...model.truth.snapshotHost(id),
      maxConcurrentScriptRuns: maxOverlap(
        model.truth.scriptRuns.filter((r) => r.node === id),
        now
      ),
      unitsActive: model.allUnitsActive(h),
      faults: h.faults.all(),
      facts: {
        ...h.facts,
        ...(isAgent && onDisk ? { libltdlPresent: existsSync(path.join(h.spec.root, LIBLTDL)) } : {}),
      },
      ...(isAgent ? { registered: model.agentActive(h) } : {}),
      ...(h.role === 'master' ? { exhibitor: model.exhibitorStatusOf(h).description } : {}),
    };
  }
  const ongoing = model.agents.reduce((m, a) => Math.max(m, a.downSince !== undefined ? now - a.downSince : 0), 0);
  const t = model.truth;
  return {
    at: now,
    hosts,
    scriptRuns: t.scriptRuns.map((r) => ({ ...r })),
    maxMastersDownAtOnce: t.maxMastersDownAtOnce,
    mastersDownNow: model.mastersDownNow().map((m) => m.spec.id),
    maxAgentsDownAtOnce: t.maxAgentsDownAtOnce,
    agentsDownNow: model.agentsDownNow().map((a) => a.spec.id),
    tasksLost: t.tasksLost.map((x) => ({ ...x })),
    marathonChanges: marathon.changes.map((c) => ({ ...c })),
    marathonApps: marathon.apps.map((a) => ({
      id: a.id,
      tasksRunning: marathon.tasksOf(a.id).filter(({ task }) => task.state === 'TASK_RUNNING').length,
    })),
    agentDowntimeMaxMs: Math.max(t.agentDowntimeMaxMs, ongoing),
    backups: { zookeeper: t.backups.zookeeper.map((b) => ({ ...b })), iam: t.backups.iam.map((b) => ({ ...b })) },
    generatorRuns: t.generatorRuns.map((g) => ({ ...g, args: [...g.args] })),
    bootstrapRequests: t.bootstrapRequests.map((r) => ({ ...r })),
    mesosLeader: model.mesosLeader?.spec.id,
    zkLeader: model.zkLeader?.spec.id,
  };
}
