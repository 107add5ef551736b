/**
 * Running one command: make its CliContext from the global flags, run it, turn any error into one
 * line on stderr and an exit code, and close the connection.
 */
import type { Command } from 'commander';
import { CliContext, type CliContext as Ctx, type GlobalOptions } from './connection';
import { CliError, ExitCode } from './exit-codes';

export type Action = (ctx: Ctx) => Promise<number>;

export class Runner {
  /** The exit code of the command that ran. */
  code: number = ExitCode.Ok;

  constructor(
    readonly io: Io = stdio,
    readonly env: NodeJS.ProcessEnv = process.env
  ) {}

  async run(cmd: Command, action: Action, workflowId?: string): Promise<void> {
    let ctx: CliContext;
    try {
      ctx = new CliContext(cmd.optsWithGlobals<GlobalOptions>(), this.env);
    } catch (err) {
      this.fail(err instanceof CliError ? err : new CliError(String(err), ExitCode.Usage));
      return;
    }
    try {
      this.code = await action(ctx);
    } catch (err) {
      this.fail(ctx.explain(err, workflowId));
    } finally {
      await ctx.close();
    }
  }

  private fail(err: CliError): void {
    this.io.err(`dcos-patch: ${err.message}`);
    this.code = err.exitCode;
  }
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const stdio: Io = {
  out: (text) => {
    process.stdout.write(`${text}\n`);
  },
  err: (text) => {
    process.stderr.write(`${text}\n`);
  },
};
