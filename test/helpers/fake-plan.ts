// A valid Plan object for workflow-logic tests (no files behind it: the fake activities need none).
import { DEFAULT_POLICY, DEFAULT_PORTS, type NodeRole, type NodeSpec, type Plan } from '../../src/shared/plan';

function nodes(role: NodeRole, prefix: string, count: number): NodeSpec[] {
  return Array.from({ length: count }, (_, i) => {
    // 10.0.1.1…254, then 10.1.1.1… for a plan of thousands (the input check refuses 10.0.1.255).
    const address =
      i < 254 ? `${prefix}.${i + 1}` : `${prefix.replace(/^10\.0\./, '10.')}.${Math.floor(i / 254)}.${(i % 254) + 1}`;
    return { id: `${role}-${address}`, role, address, sshPort: 22, ports: DEFAULT_PORTS };
  });
}

export function fakePlan(
  opts: {
    cluster?: string;
    masters?: number;
    agents?: number;
    publicAgents?: number;
    from?: string;
    to?: string;
    policy?: Partial<Plan['policy']>;
  } = {}
): Plan {
  return {
    source: '/plans/fake.yaml',
    // One cluster per test file (each its own process): files running side by side do not share a cluster lock.
    cluster: opts.cluster ?? `fake-${process.pid}`,
    variant: 'open',
    fromVersion: opts.from ?? '2.1.4',
    toVersion: opts.to ?? '2.1.5',
    expectedMesosVersion: '1.10.1',
    security: 'disabled',
    bootstrap: {
      address: '10.0.0.2',
      sshPort: 22,
      installerDir: '/home/core/dcos',
      installerName: 'dcos_generate_config.sh',
    },
    config: { oldConfigPath: '/plans/old.yaml', newConfigPath: '/plans/new.yaml', ipDetectPath: '/plans/ip-detect' },
    ssh: {
      user: 'core',
      port: 22,
      privateKeyPath: '/keys/id',
      knownHostsPath: '/keys/known_hosts',
      connectTimeoutMs: 5000,
    },
    http: { mesosHttps: false },
    masters: nodes('master', '10.0.0', opts.masters ?? 3),
    agents: nodes('agent', '10.0.1', opts.agents ?? 4),
    publicAgents: nodes('public-agent', '10.0.2', opts.publicAgents ?? 0),
    policy: {
      ...DEFAULT_POLICY,
      gates: { ...DEFAULT_POLICY.gates, pollIntervalMs: 50, stablePolls: 1 },
      ...opts.policy,
    },
    backups: { zookeeper: 'take', iam: 'not-applicable' },
    preflightOverrides: [],
    remoteWorkDir: '/var/lib/dcos-patch',
  };
}
