import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SimCluster, SimHost } from '../../src/sim';
import { type ExhibitorEntry, exhibitorUrl, getJson, refused, sshExec, waitFor, withCluster } from './helpers';

interface StateLite {
  leader?: string;
  slaves: { id: string; hostname: string; active: boolean }[];
  frameworks: { tasks: { id: string; slave_id: string; state: string }[]; completed_tasks: { state: string }[] }[];
}

async function leaderState(c: SimCluster): Promise<StateLite> {
  for (const m of c.masters) {
    try {
      const s = await getJson<StateLite>(`http://${m.address}:5050/state`);
      if (s.leader === `master@${m.address}:5050`) return s;
    } catch {
      // down
    }
  }
  throw new Error('no leading master');
}

function tasksOf(s: StateLite, h: SimHost): { state: string }[] {
  const id = s.slaves.find((a) => a.hostname === h.address)?.id;
  return s.frameworks.flatMap((f) => f.tasks).filter((t) => t.slave_id === id);
}

describe('cluster dynamics', () => {
  test('a master whose units stop: others show it down in Exhibitor, leadership moves, and on return it goes down → not serving → serving with its registrar recovering', async () => {
    await withCluster({ masters: 3, agents: 1, timings: { exhibitorRecoveryMs: 600 } }, async (c) => {
      const [m1, m2] = c.masters as [SimHost, SimHost];
      assert.equal(c.truth().mesosLeader, m1.id);
      c.stopUnits(m1.id);
      assert.ok(await refused(exhibitorUrl(m1)), "the stopped master's Exhibitor refuses");
      assert.ok(await refused(`http://${m1.address}:5050/metrics/snapshot`));
      const seen = await getJson<ExhibitorEntry[]>(exhibitorUrl(m2));
      assert.deepEqual(seen[0], { code: 1, description: 'down', hostname: m1.address, isLeader: false });
      await waitFor(() => c.truth().mesosLeader === m2.id, 'a new leading master');
      const elected = await getJson<Record<string, number>>(`http://${m2.address}:5050/metrics/snapshot`);
      assert.equal(elected['master/elected'], 1);

      c.startUnits(m1.id);
      const phases: string[] = [];
      const metrics: number[] = [];
      await waitFor(async () => {
        const s = await getJson<ExhibitorEntry[]>(exhibitorUrl(m2));
        const d = s[0]!.description;
        if (phases.at(-1) !== d) phases.push(d);
        const r = await getJson<Record<string, number>>(`http://${m1.address}:5050/metrics/snapshot`);
        metrics.push(r['registrar/log/recovered']!);
        return d === 'serving' && r['registrar/log/recovered'] === 1;
      }, 'the master to serve again');
      assert.deepEqual(phases, ['down', 'not serving', 'serving']);
      assert.equal(metrics[0], 0, 'registrar not recovered right after the restart');
      const t = c.truth();
      assert.equal(t.maxMastersDownAtOnce, 1);
      assert.deepEqual(t.mastersDownNow, []);
      assert.equal(t.hosts[m1.id]!.downIntervals.length, 1);
    });
  });

  test('two masters down at once is recorded, and losing quorum leaves the survivor not serving', async () => {
    await withCluster({ masters: 3, agents: 0 }, async (c) => {
      const [m1, m2, m3] = c.masters as [SimHost, SimHost, SimHost];
      c.stopUnits(m1.id);
      c.stopUnits(m2.id);
      const s = await getJson<ExhibitorEntry[]>(exhibitorUrl(m3));
      assert.equal(s[2]!.description, 'not serving');
      assert.equal(c.truth().maxMastersDownAtOnce, 2);
      c.startUnits(m1.id);
      c.startUnits(m2.id);
      await waitFor(() => c.truth().mastersDownNow.length === 0, 'all masters back');
    });
  });

  test('an agent whose units stop: :5051 refuses, the leader shows it inactive; it re-registers, then its tasks run again', async () => {
    await withCluster(
      { masters: 1, agents: 2, timings: { agentReregisterMs: 300, taskReconcileMs: 300 } },
      async (c) => {
        const a = c.agents[0]!;
        const r = await sshExec(c, a, 'sudo systemctl stop dcos-mesos-slave; systemctl is-active dcos-mesos-slave');
        assert.equal(r.stdout, 'inactive\n');
        assert.ok(await refused(`http://${a.address}:5051/metrics/snapshot`));
        let s = await leaderState(c);
        assert.equal(s.slaves.find((x) => x.hostname === a.address)?.active, false);
        assert.ok(tasksOf(s, a).every((t) => t.state !== 'TASK_RUNNING'));
        assert.equal((await sshExec(c, a, 'sudo systemctl start dcos-mesos-slave')).code, 0);
        await waitFor(async () => {
          const m = await getJson<Record<string, number>>(`http://${a.address}:5051/metrics/snapshot`);
          return m['slave/registered'] === 1;
        }, 'the agent to register');
        s = await leaderState(c);
        assert.equal(s.slaves.find((x) => x.hostname === a.address)?.active, true);
        await waitFor(
          async () => tasksOf(await leaderState(c), a).every((t) => t.state === 'TASK_RUNNING'),
          'tasks reconciled'
        );
        const t = c.truth();
        assert.deepEqual(t.tasksLost, []);
        assert.ok(t.agentDowntimeMaxMs >= 300);
        assert.equal(t.maxAgentsDownAtOnce, 1);
      }
    );
  });

  test('an agent down longer than the ping timeout loses its tasks, recorded as lost work', async () => {
    await withCluster({ masters: 1, agents: 2, tasksPerAgent: 2, timings: { agentPingTimeoutMs: 300 } }, async (c) => {
      const a = c.agents[1]!;
      c.stopUnits(a.id);
      await waitFor(() => c.truth().tasksLost.length > 0, 'tasks to be lost');
      const t = c.truth();
      assert.equal(t.tasksLost.length, 2);
      assert.ok(t.tasksLost.every((x) => x.agent === a.id));
      const s = await leaderState(c);
      assert.equal(
        s.slaves.some((x) => x.hostname === a.address),
        false,
        'the leader removed the agent'
      );
      assert.ok(s.frameworks[0]!.completed_tasks.every((x) => x.state === 'TASK_LOST'));
      c.startUnits(a.id);
      await waitFor(
        async () => (await leaderState(c)).slaves.some((x) => x.hostname === a.address && x.active),
        'the agent back'
      );
    });
  });

  test('CockroachDB shows under-replicated ranges while a master is down and until it catches up', async () => {
    await withCluster(
      { masters: 3, agents: 0, variant: 'enterprise', timings: { cockroachRecoveryMs: 400 } },
      async (c) => {
        const [m1, m2] = c.masters as [SimHost, SimHost];
        const cmd =
          'sudo /opt/mesosphere/bin/cockroach node status --ranges --certs-dir=/run/dcos/pki/bouncer --host=$(/opt/mesosphere/bin/detect_ip) --format=tsv';
        const under = async (): Promise<number[]> => {
          const r = await sshExec(c, m2, cmd);
          assert.equal(r.code, 0, r.stderr);
          const lines = r.stdout.trim().split('\n').slice(1);
          const head = lines[0]!.split('\t');
          const col = head.indexOf('ranges_underreplicated');
          return lines.slice(1).map((l) => Number(l.split('\t')[col]));
        };
        assert.deepEqual(await under(), [0, 0, 0]);
        c.stopUnits(m1.id);
        const down = await under();
        assert.equal(down[0], 0, "the dead node's row is stale");
        assert.ok(down[1]! > 0 && down[2]! > 0);
        const onDown = await sshExec(c, m1, cmd.replace('$(/opt/mesosphere/bin/detect_ip)', m1.address));
        assert.equal(onDown.code, 1);
        assert.match(onDown.stderr, /cannot dial server/);
        c.startUnits(m1.id);
        assert.ok(
          (await under()).some((n) => n > 0),
          'still catching up right after the restart'
        );
        await waitFor(async () => (await under()).every((n) => n === 0), 'replication to catch up');
      }
    );
  });

  test('preflight helpers: an agent shown unregistered, a master shown not serving, until switched back', async () => {
    await withCluster({ masters: 3, agents: 1 }, async (c) => {
      const a = c.agents[0]!;
      const m = c.masters[2]!;
      c.makeAgentUnregistered(a.id);
      c.makeMasterNotServing(m.id);
      const s = await leaderState(c);
      assert.equal(s.slaves.find((x) => x.hostname === a.address)?.active, false);
      const metrics = await getJson<Record<string, number>>(`http://${a.address}:5051/metrics/snapshot`);
      assert.equal(metrics['slave/registered'], 0);
      const ex = await getJson<ExhibitorEntry[]>(exhibitorUrl(c.masters[0]!));
      assert.equal(ex[2]!.description, 'not serving');
      c.makeAgentUnregistered(a.id, false);
      c.makeMasterNotServing(m.id, false);
      assert.equal((await leaderState(c)).slaves.find((x) => x.hostname === a.address)?.active, true);
      assert.ok((await getJson<ExhibitorEntry[]>(exhibitorUrl(c.masters[0]!))).every((e) => e.code === 3));
    });
  });
});
