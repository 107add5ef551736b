/**
 * Before anything else: what does every host run now? `surveyNodes` reads each host's installed
 * DC/OS version, its roles and whether its `user.config.yaml` says the same as the plan's new
 * config.yaml (as YAML data, the way gen reads it: `readNodeState`), so the workflow skips hosts
 * that are already done and says "nothing to do" for a cluster that is. Read-only.
 */
import { readFileSync } from 'node:fs';
import { parseDcosConfig } from '../plan/config-yaml';
import { Findings } from '../plan/findings';
import type { NodeTarget, SurveyEntry } from '../shared/activity-types';
import { FailureTypes } from '../shared/failure-types';
import { activitySignal } from './context';
import { Heartbeats, mapLimit, onceMoreIfDropped } from './fan-out';
import { readNodeState } from './node';
import { errorText, isNonRetryable, nonRetryable } from './util';

/** SSH sessions at once: each mostly waits on the host (connect, a file read), so many overlap well. */
export const SURVEY_CONCURRENCY = 48;

/**
 * One entry per target, in the targets' order: the host's state, or `{ node, error }` when it
 * cannot be read (unreachable, unknown host key, no DC/OS). Throws only for what no host can
 * fix: the plan's new config.yaml unreadable on the worker (InvalidPlan), or a cancellation.
 */
export async function surveyNodes(targets: NodeTarget[], newConfigPath: string): Promise<SurveyEntry[]> {
  checkNewConfig(newConfigPath);
  activitySignal(); // up to SURVEY_CONCURRENCY SSH sessions listen on this one signal at once
  const heartbeats = new Heartbeats();
  let done = 0;
  try {
    return await mapLimit(targets, SURVEY_CONCURRENCY, async (target) => {
      const entry = await surveyOne(target, newConfigPath);
      done++;
      heartbeats.beat({ done, of: targets.length, last: target.node.id });
      return entry;
    });
  } finally {
    heartbeats.stop();
  }
}

async function surveyOne(target: NodeTarget, newConfigPath: string): Promise<SurveyEntry> {
  try {
    return await onceMoreIfDropped(() => readNodeState(target, newConfigPath));
  } catch (err) {
    if (activitySignal()?.aborted) throw err;
    // A plan problem (the new config) is the same for every host: fail the survey, not the host.
    if (isNonRetryable(err) && (err as { type?: string }).type === FailureTypes.InvalidPlan) {
      if (/new config\.yaml/.test(errorText(err))) throw err;
    }
    return { node: target.node.id, error: errorText(err) };
  }
}

/** Once, before any host: without a usable new config.yaml "already done" cannot be decided. */
function checkNewConfig(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw nonRetryable(
      `survey: cannot read the new config.yaml ${path} on the worker (${errorText(err)}); make config.new readable where the worker runs`,
      FailureTypes.InvalidPlan,
      { step: 'survey', path }
    );
  }
  const findings = new Findings();
  if (!parseDcosConfig(text, path, findings)) {
    throw nonRetryable(
      `survey: the new config.yaml ${path} is not usable: ${findings.all[0]?.message ?? 'not a mapping'}`,
      FailureTypes.InvalidPlan,
      { step: 'survey', path }
    );
  }
}
