/**
 * The plan's `canary:` section: a small Marathon app deployed before the first master and watched
 * through the whole patch.
 *
 *   canary:
 *     app: /dcos-patch-canary        # one path segment; its Mesos-DNS name is dcos-patch-canary.marathon.mesos
 *     instances: 3                   # on that many private agents (hostname:UNIQUE)
 *     cmd: /opt/mesosphere/bin/python3 -m http.server $PORT0
 *     deployTimeout: 5m
 *     pollInterval: 5s
 *
 * `canary: {}` takes every default.
 */
import {
  CANARY_APP_ID,
  type CanarySpec,
  DEFAULT_CANARY,
  DEFAULT_CANARY_INSTANCES,
  MAX_CANARY_CMD,
  MAX_CANARY_INSTANCES,
} from '../shared/plan';
import { type FieldContext, readDuration, readInt, readSection, readString } from './fields';

export function readCanary(
  ctx: FieldContext,
  value: unknown,
  privateAgents: number,
  agentConcurrency: number
): CanarySpec | undefined {
  if (value === undefined || value === null) return undefined;
  const rec = readSection(ctx, value, 'canary', 'canary', false);
  if (!rec) return undefined;
  const appId = readString(ctx, rec, 'app', 'canary.app', { required: false, example: DEFAULT_CANARY.appId });
  if (appId !== undefined && !CANARY_APP_ID.test(appId)) {
    ctx.findings.error(
      ctx.file,
      'canary.app',
      'canary-app-invalid',
      `canary.app "${appId}" is not one Marathon path segment (a leading "/", then lower-case letters, digits and "-", at most 63)`,
      `use e.g. ${DEFAULT_CANARY.appId}: its Mesos-DNS name is then dcos-patch-canary.marathon.mesos`
    );
  }
  if (privateAgents === 0) {
    ctx.findings.error(
      ctx.file,
      'canary',
      'canary-no-agents',
      'the canary needs private agents to run on and the plan lists none',
      'remove the canary section, or list the private agents under agents'
    );
    return undefined;
  }
  const most = Math.min(MAX_CANARY_INSTANCES, privateAgents);
  const instances = readInt(ctx, rec, 'instances', 'canary.instances', {
    min: 1,
    max: most,
    fallback: Math.min(DEFAULT_CANARY_INSTANCES, privateAgents),
    why: `one per private agent (hostname:UNIQUE), at most ${MAX_CANARY_INSTANCES}`,
  });
  if (instances <= agentConcurrency) {
    ctx.findings.warning(
      ctx.file,
      'canary.instances',
      'canary-window-too-wide',
      `the canary has ${instances} instance(s) and up to ${agentConcurrency} agents are patched at once: every instance may be down together, which the canary reports as an outage (as it would be for an app like it)`,
      `set canary.instances above policy.agentConcurrency (at most ${most}), or patch fewer agents at once`
    );
  }
  const cmd = readString(ctx, rec, 'cmd', 'canary.cmd', { required: false, example: DEFAULT_CANARY.cmd });
  if (cmd !== undefined && (cmd.length > MAX_CANARY_CMD || /[\0\n\r]/.test(cmd))) {
    ctx.findings.error(
      ctx.file,
      'canary.cmd',
      'value-out-of-range',
      `canary.cmd must be one line of at most ${MAX_CANARY_CMD} characters`,
      'put a longer command into a script the agents have'
    );
  }
  return {
    appId: appId ?? DEFAULT_CANARY.appId,
    instances,
    cmd: cmd ?? DEFAULT_CANARY.cmd,
    cpus: DEFAULT_CANARY.cpus,
    memMb: DEFAULT_CANARY.memMb,
    deployTimeoutMs: readDuration(ctx, rec, 'deployTimeout', 'canary.deployTimeout', DEFAULT_CANARY.deployTimeoutMs),
    pollIntervalMs: readDuration(ctx, rec, 'pollInterval', 'canary.pollInterval', DEFAULT_CANARY.pollIntervalMs),
  };
}
