/** The workflow's own check of its input: a patch started by hand is refused before it touches anything. */
import { ApplicationFailure } from '@temporalio/workflow';
import { FailureTypes } from '../shared/failure-types';
import type { Plan } from '../shared/plan';
import { type InputProblem, planInputProblems } from '../shared/plan-input';

/** Problems named in the message; the failure is stored in the history, so a plan with 5,000 bad hosts must not make it 300 KiB. */
const NAMED_IN_MESSAGE = 20;
/** Problems carried in the failure's details (for tools); the count says how many there were. */
const CARRIED_IN_DETAILS = 200;

/** A non-retryable InvalidPlan failure naming the bad fields (the first ones, and how many more), before the first activity. */
export function refuseBadInput(plan: Plan): void {
  const problems = planInputProblems(plan);
  if (problems.length === 0) return;
  throw ApplicationFailure.create({
    type: FailureTypes.InvalidPlan,
    nonRetryable: true,
    message: `the patch input is not a valid plan; nothing was touched. ${named(problems)}. Start it from a checked plan: dcos-patch check plan.yaml --json prints the workflow input.`,
    details: [problems.slice(0, CARRIED_IN_DETAILS), { problems: problems.length }],
  });
}

function named(problems: InputProblem[]): string {
  const first = problems
    .slice(0, NAMED_IN_MESSAGE)
    .map((p) => `${p.field}: ${p.problem}`)
    .join('; ');
  const more = problems.length - NAMED_IN_MESSAGE;
  return more > 0 ? `${first}; and ${more.toLocaleString('en-US')} more` : first;
}
