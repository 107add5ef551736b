/**
 * The CLI's exit codes. Stable: scripts and CI branch on them, so never renumber one.
 *
 *   0   ok (the patch succeeded, had nothing to do, or the command did what it was asked)
 *   1   the patch failed or was aborted, or a node failed
 *   2   usage error, or the plan is invalid (nothing was started)
 *   3   not found (no such patch) or Temporal cannot be reached
 *   4   rejected: the workflow (or the CLI, on its behalf) refused the request, e.g. `decide`
 *       when nothing is pending, a signal to a patch that already closed, re-running a patch
 *       that already ran without `--rerun`
 *   130 `watch` detached by Ctrl-C (the patch goes on; nothing was signalled)
 */
export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  NotFound: 3,
  Rejected: 4,
  Detached: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one message (no stack) with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The help text's "Exit codes" section. */
export const EXIT_CODES_HELP = `Exit codes:
  0    ok: the patch succeeded or had nothing to do; the command did what it was asked
  1    the patch failed or was aborted, or a node failed
  2    usage error, or the plan is invalid (nothing was started)
  3    no such patch, or Temporal cannot be reached
  4    rejected: e.g. decide when nothing is pending, a signal to a closed patch,
       re-running a patch that already ran without --rerun
  130  watch detached with Ctrl-C (the patch goes on)`;
