/** The workflow's own check of its input: a patch started by hand is refused before it touches anything. */
import { ApplicationFailure } from '@temporalio/workflow';
import { FailureTypes } from '../shared/failure-types';
import type { Plan } from '../shared/plan';
import { planInputProblems } from '../shared/plan-input';

/** A non-retryable InvalidPlan failure naming every bad field, before the first activity. */
export function refuseBadInput(plan: Plan): void {
  const problems = planInputProblems(plan);
  if (problems.length === 0) return;
  throw ApplicationFailure.create({
    type: FailureTypes.InvalidPlan,
    nonRetryable: true,
    message: `the patch input is not a valid plan; nothing was touched. ${problems
      .map((p) => `${p.field}: ${p.problem}`)
      .join('; ')}. Start it from a checked plan: dcos-patch check plan.yaml --json prints the workflow input.`,
    details: [problems],
  });
}
