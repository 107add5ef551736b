/**
 * Which question a `decide` answers. Every question has its own id and an answer names it, so an
 * answer sent late or twice (the operator's shell history, a second terminal) can never be
 * applied to a newer question on the same node. Pure: the update's validator runs it.
 */
import type { NodeStatus, PatchReport, PatchStatus, PendingDecision } from '../shared/status';
import type { DecideInput } from './messages';

export type Answered =
  | { question: PendingDecision }
  /** A retry of an agent that failed within the failure budget (no question was open on it). */
  | { retryOf: NodeStatus }
  | { problem: string };

interface Asked {
  status: PatchStatus;
  decisions: PatchReport['decisions'];
  node(id: string): NodeStatus | undefined;
}

export function questionId(n: number): string {
  return `q${n}`;
}

/** One line naming a question: `q7 (master-10.0.0.12: script exited 3)`. */
export function describeQuestion(p: PendingDecision): string {
  return `${p.id} (${p.subject}: ${p.reason})`;
}

export function whatItAnswers(asked: Asked, d: DecideInput): Answered {
  const { status } = asked;
  const open = status.pending.filter((p) => p.subject === d.subject);
  if (d.question === undefined) {
    // Questions asked before ids existed (carried from an older run) are answered by subject.
    const old = open.find((p) => p.id === undefined);
    if (old) return { question: old };
    return { problem: unnamed(asked, d.subject, open) };
  }
  const q = d.question;
  const pending = status.pending.find((p) => p.id === q);
  if (pending) {
    return pending.subject === d.subject
      ? { question: pending }
      : { problem: `question ${q} is about ${pending.subject}, not ${d.subject}` };
  }
  const node = asked.node(d.subject);
  if (node?.retryQuestion === q) return { retryOf: node };
  const answer = asked.decisions.find((x) => x.question === q);
  if (answer) {
    const now = open.length
      ? `the open question on ${d.subject} is ${open.map((p) => p.id).join(', ')}`
      : `nothing is open on ${d.subject}`;
    return { problem: `question ${q} was already answered (${answer.decision} for ${answer.subject}); ${now}` };
  }
  const elsewhere = status.nodes.find((n) => n.retryQuestion === q);
  if (elsewhere) return { problem: `question ${q} is about ${elsewhere.id}, not ${d.subject}` };
  return { problem: `no question ${q} in this patch; ${openList(status)}` };
}

function unnamed(asked: Asked, subject: string, open: PendingDecision[]): string {
  if (open.length) {
    return `name the question you answer: ${open.map(describeQuestion).join(', ')} — add "question": "${open[0]!.id}" (dcos-patch decide … --question ${open[0]!.id})`;
  }
  const retry = asked.node(subject)?.retryQuestion;
  if (retry)
    return `name the failed attempt you retry: ${retry} (dcos-patch decide … ${subject} retry --question ${retry})`;
  return `no decision is pending for ${subject}; ${openList(asked.status)}`;
}

function openList(status: PatchStatus): string {
  const waiting = status.pending.map((p) => `${p.subject} (${p.id})`).join(', ');
  return `waiting on: ${waiting || 'nothing'}`;
}
